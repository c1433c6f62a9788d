"""The settings models tune: each with its type, range, default and what it does in one sentence.

The pages generate their widgets from `HyperParam`s and tuning searches their ranges, so a setting is
described once here and shared by every model that has it. A setting reaches the estimator argument of
its own name unless the model's recipe says otherwise.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any, Literal

from mlcore.train.errors import ParamError

ParamKind = Literal["int", "float", "choice", "bool"]


@dataclass(frozen=True)
class HyperParam:
    """One setting of a model: its type, range and default, and what it does in one sentence."""

    name: str
    label: str
    kind: ParamKind
    default: Any
    help: str
    low: float | None = None
    high: float | None = None
    choices: tuple[Any, ...] = ()
    log: bool = False
    none_label: str | None = None  # when set, None is allowed and shown as this (e.g. "no limit")

    def coerce(self, value: Any) -> Any:
        """The value as this parameter's type, or a `ParamError` saying what is allowed."""
        if value is None and self.none_label is not None:
            return None
        try:
            if self.kind == "bool":
                return bool(value)
            if self.kind == "choice":
                if value not in self.choices:
                    raise ValueError
                return value
            number = int(value) if self.kind == "int" else float(value)
        except (TypeError, ValueError):
            allowed = ", ".join(map(str, self.choices)) if self.kind == "choice" else f"a {self.kind}"
            raise ParamError(f"'{value}' is not a valid value for {self.label}.", f"Use {allowed}.") from None
        if (self.low is not None and number < self.low) or (self.high is not None and number > self.high):
            raise ParamError(
                f"{self.label} must be between {self.low:g} and {self.high:g}; got {number:g}.",
                self.help,
            )
        return number


# ---------- the settings, shared by every model that has them ----------

MAX_DEPTH = HyperParam(
    "max_depth",
    "Maximum depth",
    "int",
    None,
    "How many questions a tree may ask in a row; deeper trees fit more detail but overfit more easily.",
    1,
    100,
    log=True,
    none_label="no limit",
)
MIN_LEAF = HyperParam(
    "min_samples_leaf",
    "Minimum rows per leaf",
    "int",
    1,
    "Each final group must hold at least this many rows; larger values give smoother, simpler trees.",
    1,
    200,
    log=True,
)
N_TREES = HyperParam(
    "n_estimators",
    "Number of trees",
    "int",
    100,
    "More trees give steadier predictions but take longer to train.",
    10,
    1000,
    log=True,
)
MAX_FEATURES = HyperParam(
    "max_features",
    "Features tried per split",
    "choice",
    "sqrt",
    "How many columns each split may look at; fewer makes the trees more different from each other.",
    choices=("sqrt", "log2", "all"),
)
NEIGHBOURS = HyperParam(
    "n_neighbors",
    "Number of neighbours",
    "int",
    15,
    "How many similar training rows vote on each prediction; more neighbours give smoother answers.",
    1,
    200,
    log=True,
)
KNN_WEIGHTS = HyperParam(
    "weights",
    "Neighbour weighting",
    "choice",
    "distance",
    "Whether closer neighbours count more ('distance') or all count the same ('uniform').",
    choices=("uniform", "distance"),
)
C = HyperParam(
    "C",
    "Regularisation C",
    "float",
    1.0,
    "Smaller values keep the model simpler; larger values let it follow the training data more closely.",
    1e-3,
    1e3,
    log=True,
)
GAMMA = HyperParam(
    "gamma",
    "Kernel width (gamma)",
    "choice",
    "scale",
    "How far one training row's influence reaches; 'scale' sets it from the data.",
    choices=("scale", "auto"),
)
LEARNING_RATE = HyperParam(
    "learning_rate",
    "Learning rate",
    "float",
    0.1,
    "How much each new tree corrects the previous ones; smaller is more careful but needs more trees.",
    0.005,
    1.0,
    log=True,
)
HGB_ITER = HyperParam(
    "max_iter",
    "Number of boosting rounds",
    "int",
    100,
    "The most trees to add; training stops early when the score stops improving.",
    10,
    2000,
    log=True,
)
HGB_LEAVES = HyperParam(
    "max_leaf_nodes",
    "Leaves per tree",
    "int",
    31,
    "How many final groups each tree may have; more leaves capture more interactions.",
    2,
    256,
    log=True,
)
L2 = HyperParam(
    "l2_regularization",
    "L2 regularisation",
    "float",
    0.0,
    "A penalty on large leaf values that makes the model more cautious.",
    0.0,
    10.0,
)
XGB_TREES = HyperParam(
    "n_estimators",
    "Number of trees",
    "int",
    200,
    "How many boosting rounds to run; more rounds fit more detail and take longer.",
    10,
    2000,
    log=True,
)
XGB_DEPTH = HyperParam(
    "max_depth",
    "Maximum depth",
    "int",
    6,
    "How deep each tree may grow; deeper trees capture more interactions between columns.",
    1,
    16,
)
SUBSAMPLE = HyperParam(
    "subsample",
    "Row share per tree",
    "float",
    1.0,
    "The share of rows each tree sees; below 1 adds randomness that can reduce overfitting.",
    0.3,
    1.0,
)
COLSAMPLE = HyperParam(
    "colsample_bytree",
    "Column share per tree",
    "float",
    1.0,
    "The share of columns each tree may use; below 1 makes trees more different from each other.",
    0.3,
    1.0,
)
MIN_CHILD = HyperParam(
    "min_child_weight",
    "Minimum child weight",
    "float",
    1.0,
    "The least evidence a split must leave on each side; larger values make simpler trees.",
    0.1,
    50.0,
    log=True,
)
XGB_LAMBDA = HyperParam(
    "reg_lambda",
    "L2 regularisation",
    "float",
    1.0,
    "A penalty on large leaf values that makes the model more cautious.",
    1e-3,
    100.0,
    log=True,
)
HIDDEN = HyperParam(
    "hidden_layers",
    "Hidden layers",
    "choice",
    "100",
    "Neurons per hidden layer, separated by commas; bigger networks can learn more but overfit sooner.",
    choices=("32", "100", "64,32", "100,50"),
)
ALPHA_MLP = HyperParam(
    "alpha",
    "Weight penalty",
    "float",
    1e-4,
    "A penalty on large weights that keeps the network from memorising the training rows.",
    1e-6,
    1.0,
    log=True,
)
MLP_LR = HyperParam(
    "learning_rate_init",
    "Learning rate",
    "float",
    2e-3,
    "The step size of each weight update; too large is unstable, too small is slow.",
    1e-4,
    0.1,
    log=True,
)
MLP_ITER = HyperParam(
    "max_iter",
    "Maximum epochs",
    "int",
    200,
    "The most passes over the training rows; training stops early when the score stops improving.",
    10,
    2000,
    log=True,
)
MAX_ITER_LINEAR = HyperParam(
    "max_iter",
    "Maximum iterations",
    "int",
    1000,
    "The most optimisation steps before giving up; raise it if the model reports it did not converge.",
    50,
    20000,
    log=True,
)
CRITERION_CLF = HyperParam(
    "criterion",
    "Split quality",
    "choice",
    "gini",
    "How a split's purity is measured; the two choices usually give very similar trees.",
    choices=("gini", "entropy"),
)
ALPHA_LINEAR = HyperParam(
    "alpha",
    "Penalty strength (alpha)",
    "float",
    1.0,
    "How strongly large coefficients are penalised; larger values give a simpler model.",
    1e-4,
    1e3,
    log=True,
)


EPSILON = HyperParam(
    "epsilon",
    "Error tolerance (epsilon)",
    "float",
    0.1,
    "Errors smaller than this are ignored, in the target's units; larger values give a simpler model.",
    0.0,
    10.0,
)
VAR_SMOOTHING = HyperParam(
    "var_smoothing",
    "Variance smoothing",
    "float",
    1e-9,
    "A small amount added to every variance so rare values do not dominate.",
    1e-12,
    1.0,
    log=True,
)
FIT_INTERCEPT = HyperParam(
    "fit_intercept",
    "Fit an intercept",
    "bool",
    True,
    "Whether the line may cross zero anywhere rather than at the origin.",
)
L1_RATIO = HyperParam(
    "l1_ratio",
    "Lasso share (l1_ratio)",
    "float",
    0.5,
    "0 behaves like ridge, 1 like lasso, values between mix the two penalties.",
    0.0,
    1.0,
)

# ---------- the settings of model families ----------

LINEAR_ITERATIVE = (C, MAX_ITER_LINEAR)
KERNEL = (C, GAMMA)
KNN = (NEIGHBOURS, KNN_WEIGHTS)
FOREST = (N_TREES, MAX_DEPTH, MIN_LEAF, MAX_FEATURES)
FOREST_REGRESSION = (N_TREES, MAX_DEPTH, MIN_LEAF, dataclasses.replace(MAX_FEATURES, default="all"))
HGB = (LEARNING_RATE, HGB_ITER, HGB_LEAVES, L2)
XGB = (XGB_TREES, XGB_DEPTH, LEARNING_RATE, SUBSAMPLE, COLSAMPLE, MIN_CHILD, XGB_LAMBDA)
MLP = (HIDDEN, ALPHA_MLP, MLP_LR, MLP_ITER)
