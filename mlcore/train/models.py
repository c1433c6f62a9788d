"""The model zoo: each model with its hyperparameters, their ranges and a plain-language help text.

The pages generate their widgets from `HyperParam`s and tuning searches their ranges, so a model is
described once here. Every estimator is single-threaded and seeded: parallelism comes from training
several models at once in worker processes, which keeps results identical however many run together.
"""

from __future__ import annotations

import dataclasses
import os
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

from mlcore.schema import Task
from mlcore.train.errors import ParamError, UnknownModelError
from mlcore.train.transformers import LabelEncodedXGBClassifier

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


Factory = Callable[[dict[str, Any], int, bool], Any]


@dataclass(frozen=True)
class ModelSpec:
    """A model of the registry and how to build it from parameter values and a seed."""

    key: str
    name: str
    task: Task
    factory: Factory
    params: tuple[HyperParam, ...]
    description: str
    cost: Literal["linear", "superlinear"] = "linear"
    sample_cap: int | None = None  # rows used by default for super-linear models
    class_weight: bool = False  # honours class weights ("balanced")
    sparse_ok: bool = True  # accepts sparse input (else the pipeline densifies)
    relative_cost: float = 1.0  # rough training cost, to start the slowest models first
    in_default: bool = True

    def defaults(self) -> dict[str, Any]:
        return {p.name: p.default for p in self.params}

    def param(self, name: str) -> HyperParam:
        for p in self.params:
            if p.name == name:
                return p
        raise ParamError(f"{self.name} has no setting called '{name}'.", self._names_hint())

    def resolve(self, params: dict[str, Any] | None = None) -> dict[str, Any]:
        """Defaults overridden by `params`, each value checked against its range."""
        values = self.defaults()
        for name, value in (params or {}).items():
            values[name] = self.param(name).coerce(value)
        return values

    def build(self, params: dict[str, Any] | None = None, seed: int = 0, balanced: bool = False) -> Any:
        """An unfitted estimator with these settings."""
        return self.factory(self.resolve(params), seed, balanced and self.class_weight)

    def _names_hint(self) -> str:
        return "Its settings are: " + ", ".join(p.name for p in self.params) + "."


@lru_cache(maxsize=1)
def xgboost_device() -> str:
    """'cuda' when XGBoost was built with CUDA and an NVIDIA GPU is visible, else 'cpu'."""
    forced = os.environ.get("MLCORE_XGBOOST_DEVICE")
    if forced in ("cpu", "cuda"):
        return forced
    import xgboost

    if not xgboost.build_info().get("USE_CUDA"):
        return "cpu"
    return "cuda" if Path("/dev/nvidia0").exists() or shutil.which("nvidia-smi") else "cpu"


# ---------- shared hyperparameters ----------

_MAX_DEPTH = HyperParam(
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
_MIN_LEAF = HyperParam(
    "min_samples_leaf",
    "Minimum rows per leaf",
    "int",
    1,
    "Each final group must hold at least this many rows; larger values give smoother, simpler trees.",
    1,
    200,
    log=True,
)
_N_TREES = HyperParam(
    "n_estimators",
    "Number of trees",
    "int",
    100,
    "More trees give steadier predictions but take longer to train.",
    10,
    1000,
    log=True,
)
_MAX_FEATURES = HyperParam(
    "max_features",
    "Features tried per split",
    "choice",
    "sqrt",
    "How many columns each split may look at; fewer makes the trees more different from each other.",
    choices=("sqrt", "log2", "all"),
)
_NEIGHBOURS = HyperParam(
    "n_neighbors",
    "Number of neighbours",
    "int",
    15,
    "How many similar training rows vote on each prediction; more neighbours give smoother answers.",
    1,
    200,
    log=True,
)
_KNN_WEIGHTS = HyperParam(
    "weights",
    "Neighbour weighting",
    "choice",
    "distance",
    "Whether closer neighbours count more ('distance') or all count the same ('uniform').",
    choices=("uniform", "distance"),
)
_C = HyperParam(
    "C",
    "Regularisation C",
    "float",
    1.0,
    "Smaller values keep the model simpler; larger values let it follow the training data more closely.",
    1e-3,
    1e3,
    log=True,
)
_GAMMA = HyperParam(
    "gamma",
    "Kernel width (gamma)",
    "choice",
    "scale",
    "How far one training row's influence reaches; 'scale' sets it from the data.",
    choices=("scale", "auto"),
)
_LEARNING_RATE = HyperParam(
    "learning_rate",
    "Learning rate",
    "float",
    0.1,
    "How much each new tree corrects the previous ones; smaller is more careful but needs more trees.",
    0.005,
    1.0,
    log=True,
)
_HGB_ITER = HyperParam(
    "max_iter",
    "Number of boosting rounds",
    "int",
    100,
    "The most trees to add; training stops early when the score stops improving.",
    10,
    2000,
    log=True,
)
_HGB_LEAVES = HyperParam(
    "max_leaf_nodes",
    "Leaves per tree",
    "int",
    31,
    "How many final groups each tree may have; more leaves capture more interactions.",
    2,
    256,
    log=True,
)
_L2 = HyperParam(
    "l2_regularization",
    "L2 regularisation",
    "float",
    0.0,
    "A penalty on large leaf values that makes the model more cautious.",
    0.0,
    10.0,
)
_XGB_TREES = HyperParam(
    "n_estimators",
    "Number of trees",
    "int",
    200,
    "How many boosting rounds to run; more rounds fit more detail and take longer.",
    10,
    2000,
    log=True,
)
_XGB_DEPTH = HyperParam(
    "max_depth",
    "Maximum depth",
    "int",
    6,
    "How deep each tree may grow; deeper trees capture more interactions between columns.",
    1,
    16,
)
_SUBSAMPLE = HyperParam(
    "subsample",
    "Row share per tree",
    "float",
    1.0,
    "The share of rows each tree sees; below 1 adds randomness that can reduce overfitting.",
    0.3,
    1.0,
)
_COLSAMPLE = HyperParam(
    "colsample_bytree",
    "Column share per tree",
    "float",
    1.0,
    "The share of columns each tree may use; below 1 makes trees more different from each other.",
    0.3,
    1.0,
)
_MIN_CHILD = HyperParam(
    "min_child_weight",
    "Minimum child weight",
    "float",
    1.0,
    "The least evidence a split must leave on each side; larger values make simpler trees.",
    0.1,
    50.0,
    log=True,
)
_XGB_LAMBDA = HyperParam(
    "reg_lambda",
    "L2 regularisation",
    "float",
    1.0,
    "A penalty on large leaf values that makes the model more cautious.",
    1e-3,
    100.0,
    log=True,
)
_HIDDEN = HyperParam(
    "hidden_layers",
    "Hidden layers",
    "choice",
    "100",
    "Neurons per hidden layer, separated by commas; bigger networks can learn more but overfit sooner.",
    choices=("32", "100", "64,32", "100,50"),
)
_ALPHA_MLP = HyperParam(
    "alpha",
    "Weight penalty",
    "float",
    1e-4,
    "A penalty on large weights that keeps the network from memorising the training rows.",
    1e-6,
    1.0,
    log=True,
)
_MLP_LR = HyperParam(
    "learning_rate_init",
    "Learning rate",
    "float",
    2e-3,
    "The step size of each weight update; too large is unstable, too small is slow.",
    1e-4,
    0.1,
    log=True,
)
_MLP_ITER = HyperParam(
    "max_iter",
    "Maximum epochs",
    "int",
    200,
    "The most passes over the training rows; training stops early when the score stops improving.",
    10,
    2000,
    log=True,
)
_MAX_ITER_LINEAR = HyperParam(
    "max_iter",
    "Maximum iterations",
    "int",
    1000,
    "The most optimisation steps before giving up; raise it if the model reports it did not converge.",
    50,
    20000,
    log=True,
)
_CRITERION_CLF = HyperParam(
    "criterion",
    "Split quality",
    "choice",
    "gini",
    "How a split's purity is measured; the two choices usually give very similar trees.",
    choices=("gini", "entropy"),
)
_ALPHA_LINEAR = HyperParam(
    "alpha",
    "Penalty strength (alpha)",
    "float",
    1.0,
    "How strongly large coefficients are penalised; larger values give a simpler model.",
    1e-4,
    1e3,
    log=True,
)


def _max_features(value: str) -> Any:
    return None if value == "all" else value


def _hidden(value: str) -> tuple[int, ...]:
    return tuple(int(v) for v in value.split(","))


def _weights(balanced: bool) -> str | None:
    return "balanced" if balanced else None


# ---------- factories (module level: workers rebuild estimators from keys) ----------


def _logistic(p: dict, seed: int, balanced: bool) -> Any:
    from sklearn.linear_model import LogisticRegression

    return LogisticRegression(
        C=p["C"], max_iter=p["max_iter"], class_weight=_weights(balanced), random_state=seed
    )


def _knn_clf(p: dict, seed: int, balanced: bool) -> Any:
    from sklearn.neighbors import KNeighborsClassifier

    return KNeighborsClassifier(n_neighbors=p["n_neighbors"], weights=p["weights"], n_jobs=1)


def _knn_reg(p: dict, seed: int, balanced: bool) -> Any:
    from sklearn.neighbors import KNeighborsRegressor

    return KNeighborsRegressor(n_neighbors=p["n_neighbors"], weights=p["weights"], n_jobs=1)


def _linear_svm(p: dict, seed: int, balanced: bool) -> Any:
    from sklearn.svm import LinearSVC

    return LinearSVC(C=p["C"], max_iter=p["max_iter"], class_weight=_weights(balanced), random_state=seed)


def _rbf_svm(p: dict, seed: int, balanced: bool) -> Any:
    from sklearn.svm import SVC

    return SVC(C=p["C"], gamma=p["gamma"], kernel="rbf", class_weight=_weights(balanced), random_state=seed)


def _svr(p: dict, seed: int, balanced: bool) -> Any:
    from sklearn.svm import SVR

    return SVR(C=p["C"], gamma=p["gamma"], epsilon=p["epsilon"])


def _tree_clf(p: dict, seed: int, balanced: bool) -> Any:
    from sklearn.tree import DecisionTreeClassifier

    return DecisionTreeClassifier(
        max_depth=p["max_depth"],
        min_samples_leaf=p["min_samples_leaf"],
        criterion=p["criterion"],
        class_weight=_weights(balanced),
        random_state=seed,
    )


def _tree_reg(p: dict, seed: int, balanced: bool) -> Any:
    from sklearn.tree import DecisionTreeRegressor

    return DecisionTreeRegressor(
        max_depth=p["max_depth"], min_samples_leaf=p["min_samples_leaf"], random_state=seed
    )


def _forest(cls_name: str, regression: bool) -> Factory:
    def build(p: dict, seed: int, balanced: bool) -> Any:
        from sklearn import ensemble

        cls = getattr(ensemble, cls_name)
        extra = {} if regression else {"class_weight": _weights(balanced)}
        return cls(
            n_estimators=p["n_estimators"],
            max_depth=p["max_depth"],
            min_samples_leaf=p["min_samples_leaf"],
            max_features=_max_features(p["max_features"]),
            random_state=seed,
            n_jobs=1,
            **extra,
        )

    build.__name__ = build.__qualname__ = f"_forest_{cls_name}"
    return build


def _hgb_clf(p: dict, seed: int, balanced: bool) -> Any:
    from sklearn.ensemble import HistGradientBoostingClassifier

    return HistGradientBoostingClassifier(
        learning_rate=p["learning_rate"],
        max_iter=p["max_iter"],
        max_leaf_nodes=p["max_leaf_nodes"],
        l2_regularization=p["l2_regularization"],
        class_weight=_weights(balanced),
        random_state=seed,
    )


def _hgb_reg(p: dict, seed: int, balanced: bool) -> Any:
    from sklearn.ensemble import HistGradientBoostingRegressor

    return HistGradientBoostingRegressor(
        learning_rate=p["learning_rate"],
        max_iter=p["max_iter"],
        max_leaf_nodes=p["max_leaf_nodes"],
        l2_regularization=p["l2_regularization"],
        random_state=seed,
    )


def _xgb_clf(p: dict, seed: int, balanced: bool) -> Any:
    return LabelEncodedXGBClassifier(
        **{k: p[k] for k in _XGB_KEYS},
        class_weight=_weights(balanced),
        random_state=seed,
        device=xgboost_device(),
    )


def _xgb_reg(p: dict, seed: int, balanced: bool) -> Any:
    from xgboost import XGBRegressor

    return XGBRegressor(
        **{k: p[k] for k in _XGB_KEYS},
        random_state=seed,
        tree_method="hist",
        device=xgboost_device(),
        n_jobs=1,
        verbosity=0,
    )


def _naive_bayes(p: dict, seed: int, balanced: bool) -> Any:
    from sklearn.naive_bayes import GaussianNB

    return GaussianNB(var_smoothing=p["var_smoothing"])


def _mlp(regression: bool) -> Factory:
    def build(p: dict, seed: int, balanced: bool) -> Any:
        from sklearn import neural_network

        cls = neural_network.MLPRegressor if regression else neural_network.MLPClassifier
        return cls(
            hidden_layer_sizes=_hidden(p["hidden_layers"]),
            alpha=p["alpha"],
            learning_rate_init=p["learning_rate_init"],
            max_iter=p["max_iter"],
            early_stopping=True,  # stop after 10 epochs without progress on 10% held-out rows
            random_state=seed,
        )

    build.__name__ = build.__qualname__ = "_mlp_regressor" if regression else "_mlp_classifier"
    return build


def _linear(p: dict, seed: int, balanced: bool) -> Any:
    from sklearn.linear_model import LinearRegression

    return LinearRegression(fit_intercept=p["fit_intercept"])


def _ridge(p: dict, seed: int, balanced: bool) -> Any:
    from sklearn.linear_model import Ridge

    return Ridge(alpha=p["alpha"])


def _lasso(p: dict, seed: int, balanced: bool) -> Any:
    from sklearn.linear_model import Lasso

    return Lasso(alpha=p["alpha"], max_iter=p["max_iter"], random_state=seed)


def _elastic_net(p: dict, seed: int, balanced: bool) -> Any:
    from sklearn.linear_model import ElasticNet

    return ElasticNet(alpha=p["alpha"], l1_ratio=p["l1_ratio"], max_iter=p["max_iter"], random_state=seed)


_XGB_KEYS = (
    "n_estimators",
    "max_depth",
    "learning_rate",
    "subsample",
    "colsample_bytree",
    "min_child_weight",
    "reg_lambda",
)
_XGB_PARAMS = (_XGB_TREES, _XGB_DEPTH, _LEARNING_RATE, _SUBSAMPLE, _COLSAMPLE, _MIN_CHILD, _XGB_LAMBDA)
_HGB_PARAMS = (_LEARNING_RATE, _HGB_ITER, _HGB_LEAVES, _L2)
_FOREST_PARAMS = (_N_TREES, _MAX_DEPTH, _MIN_LEAF, _MAX_FEATURES)
_FOREST_REG_PARAMS = (_N_TREES, _MAX_DEPTH, _MIN_LEAF, dataclasses.replace(_MAX_FEATURES, default="all"))
_MLP_PARAMS = (_HIDDEN, _ALPHA_MLP, _MLP_LR, _MLP_ITER)
_KNN_PARAMS = (_NEIGHBOURS, _KNN_WEIGHTS)
_EPSILON = HyperParam(
    "epsilon",
    "Error tolerance (epsilon)",
    "float",
    0.1,
    "Errors smaller than this are ignored, in the target's units; larger values give a simpler model.",
    0.0,
    10.0,
)
SVM_CAP = 5_000
KNN_CAP = 10_000
TREE_CAP = 50_000  # fully grown trees cost about rows^1.3: beyond this a sample keeps them in proportion

C, R = Task.CLASSIFICATION, Task.REGRESSION

_REGISTRY: tuple[ModelSpec, ...] = (
    ModelSpec(
        "logistic_regression",
        "Logistic regression",
        C,
        _logistic,
        (_C, _MAX_ITER_LINEAR),
        "A weighted sum of the features turned into class probabilities; fast and easy to interpret.",
        class_weight=True,
        relative_cost=1,
    ),
    ModelSpec(
        "knn",
        "k-nearest neighbours",
        C,
        _knn_clf,
        _KNN_PARAMS,
        "Predicts the majority class of the most similar training rows; needs scaled numbers.",
        cost="superlinear",
        sample_cap=KNN_CAP,
        relative_cost=2,
    ),
    ModelSpec(
        "linear_svm",
        "Linear SVM",
        C,
        _linear_svm,
        (_C, _MAX_ITER_LINEAR),
        "Separates the classes with the widest possible straight boundary.",
        class_weight=True,
        relative_cost=1,
    ),
    ModelSpec(
        "rbf_svm",
        "SVM (RBF kernel)",
        C,
        _rbf_svm,
        (_C, _GAMMA),
        "Draws curved boundaries around the classes; strong on small tables, slow on large ones.",
        cost="superlinear",
        sample_cap=SVM_CAP,
        class_weight=True,
        relative_cost=6,
    ),
    ModelSpec(
        "decision_tree",
        "Decision tree",
        C,
        _tree_clf,
        (_MAX_DEPTH, _MIN_LEAF, _CRITERION_CLF),
        "A flowchart of yes/no questions about the features; easy to read, prone to overfitting.",
        class_weight=True,
        cost="superlinear",
        sample_cap=TREE_CAP,
        relative_cost=2,
    ),
    ModelSpec(
        "random_forest",
        "Random forest",
        C,
        _forest("RandomForestClassifier", False),
        _FOREST_PARAMS,
        "Many decision trees on random subsets of rows and columns, voting together.",
        class_weight=True,
        cost="superlinear",
        sample_cap=TREE_CAP,
        relative_cost=8,
    ),
    ModelSpec(
        "extra_trees",
        "Extra trees",
        C,
        _forest("ExtraTreesClassifier", False),
        _FOREST_PARAMS,
        "Like a random forest but with random split points, which makes it faster and smoother.",
        class_weight=True,
        cost="superlinear",
        sample_cap=TREE_CAP,
        relative_cost=5,
    ),
    ModelSpec(
        "hist_gradient_boosting",
        "Histogram gradient boosting",
        C,
        _hgb_clf,
        _HGB_PARAMS,
        "Trees added one after another, each fixing the last one's mistakes; strong on tables.",
        class_weight=True,
        sparse_ok=False,
        relative_cost=5,
    ),
    ModelSpec(
        "xgboost",
        "XGBoost",
        C,
        _xgb_clf,
        _XGB_PARAMS,
        "A fast, regularised gradient boosting library; uses the GPU when there is one.",
        class_weight=True,
        relative_cost=5,
    ),
    ModelSpec(
        "naive_bayes",
        "Gaussian naive Bayes",
        C,
        _naive_bayes,
        (
            HyperParam(
                "var_smoothing",
                "Variance smoothing",
                "float",
                1e-9,
                "A small amount added to every variance so rare values do not dominate.",
                1e-12,
                1.0,
                log=True,
            ),
        ),
        "Assumes features are independent given the class; very fast, a good baseline.",
        sparse_ok=False,
        relative_cost=0.5,
    ),
    ModelSpec(
        "mlp",
        "Neural network (MLP)",
        C,
        _mlp(False),
        _MLP_PARAMS,
        "Layers of simple neurons learned by gradient descent; needs scaled numbers.",
        relative_cost=6,
    ),
    ModelSpec(
        "linear",
        "Linear regression",
        R,
        _linear,
        (
            HyperParam(
                "fit_intercept",
                "Fit an intercept",
                "bool",
                True,
                "Whether the line may cross zero anywhere rather than at the origin.",
            ),
        ),
        "A weighted sum of the features fitted by least squares; the classic baseline.",
        relative_cost=0.5,
    ),
    ModelSpec(
        "ridge",
        "Ridge regression",
        R,
        _ridge,
        (_ALPHA_LINEAR,),
        "Linear regression that keeps coefficients small, which helps with correlated features.",
        relative_cost=0.5,
    ),
    ModelSpec(
        "lasso",
        "Lasso regression",
        R,
        _lasso,
        (_ALPHA_LINEAR, _MAX_ITER_LINEAR),
        "Linear regression that can set coefficients to exactly zero, choosing features itself.",
        relative_cost=1,
    ),
    ModelSpec(
        "elastic_net",
        "Elastic net",
        R,
        _elastic_net,
        (
            _ALPHA_LINEAR,
            HyperParam(
                "l1_ratio",
                "Lasso share (l1_ratio)",
                "float",
                0.5,
                "0 behaves like ridge, 1 like lasso, values between mix the two penalties.",
                0.0,
                1.0,
            ),
            _MAX_ITER_LINEAR,
        ),
        "A mix of ridge and lasso penalties.",
        relative_cost=1,
    ),
    ModelSpec(
        "knn",
        "k-nearest neighbours",
        R,
        _knn_reg,
        _KNN_PARAMS,
        "Predicts the average of the most similar training rows; needs scaled numbers.",
        cost="superlinear",
        sample_cap=KNN_CAP,
        relative_cost=2,
    ),
    ModelSpec(
        "svr",
        "Support vector regression",
        R,
        _svr,
        (_C, _GAMMA, _EPSILON),
        "Fits a curved function that ignores small errors; strong on small tables, slow on large ones.",
        cost="superlinear",
        sample_cap=SVM_CAP,
        relative_cost=6,
    ),
    ModelSpec(
        "decision_tree",
        "Decision tree",
        R,
        _tree_reg,
        (_MAX_DEPTH, _MIN_LEAF),
        "A flowchart of yes/no questions about the features; easy to read, prone to overfitting.",
        cost="superlinear",
        sample_cap=TREE_CAP,
        relative_cost=2,
    ),
    ModelSpec(
        "random_forest",
        "Random forest",
        R,
        _forest("RandomForestRegressor", True),
        _FOREST_REG_PARAMS,
        "Many decision trees on random subsets of rows and columns, averaged together.",
        cost="superlinear",
        sample_cap=TREE_CAP,
        relative_cost=8,
    ),
    ModelSpec(
        "extra_trees",
        "Extra trees",
        R,
        _forest("ExtraTreesRegressor", True),
        _FOREST_PARAMS,
        "Like a random forest but with random split points, which makes it faster and smoother.",
        cost="superlinear",
        sample_cap=TREE_CAP,
        relative_cost=4,
    ),
    ModelSpec(
        "hist_gradient_boosting",
        "Histogram gradient boosting",
        R,
        _hgb_reg,
        _HGB_PARAMS,
        "Trees added one after another, each fixing the last one's mistakes; strong on tables.",
        sparse_ok=False,
        relative_cost=5,
    ),
    ModelSpec(
        "xgboost",
        "XGBoost",
        R,
        _xgb_reg,
        _XGB_PARAMS,
        "A fast, regularised gradient boosting library; uses the GPU when there is one.",
        relative_cost=5,
    ),
    ModelSpec(
        "mlp",
        "Neural network (MLP)",
        R,
        _mlp(True),
        _MLP_PARAMS,
        "Layers of simple neurons learned by gradient descent; needs scaled numbers and target.",
        relative_cost=6,
    ),
)


def models_for(task: Task) -> list[ModelSpec]:
    """Every registry model for this task, in display order."""
    return [m for m in _REGISTRY if m.task is task]


def get_model(task: Task, key: str) -> ModelSpec:
    for spec in _REGISTRY:
        if spec.task is task and spec.key == key:
            return spec
    known = ", ".join(m.key for m in models_for(task))
    raise UnknownModelError(f"There is no {task.value} model called '{key}'.", f"Choose one of: {known}.")


def default_set(task: Task) -> list[str]:
    """The models trained by "compare all"."""
    return [m.key for m in models_for(task) if m.in_default]


# ---------- cost of super-linear models ----------

# Seconds of one fit = unit × rows^exponent × features, fitted to timings on one core of the
# reference machine (2 shared cores) at 13k and 64k rows with default settings.
_COST = {
    "rbf_svm": (1.5e-9, 2.0),
    "svr": (1.5e-9, 2.0),
    "knn": (1.5e-10, 2.0),
    "random_forest": (6.5e-7, 1.27),
    "extra_trees": (1.6e-6, 1.11),
    "decision_tree": (7e-8, 1.31),
}


@dataclass(frozen=True)
class CostWarning:
    """A super-linear model on large data: its estimated time on all rows and its default sample."""

    model_key: str
    n_rows: int
    cap: int
    estimated_seconds: float
    capped_seconds: float
    message: str


def estimate_seconds(spec: ModelSpec, n_rows: int, n_features: int, folds: int = 5) -> float:
    """A rough estimate of cross-validation plus the final fit on `n_rows` training rows."""
    unit, exponent = _COST.get(spec.key, (0.0, 1.0))
    fit_rows = n_rows * (folds - 1) / folds if folds > 1 else n_rows
    per_fit = unit * fit_rows**exponent * max(n_features, 1)
    return per_fit * (folds + 1)


def cost_warning(spec: ModelSpec, n_rows: int, n_features: int, folds: int = 5) -> CostWarning | None:
    """A warning when a model's time grows faster than the rows and the data exceeds its sample cap."""
    if spec.cost != "superlinear" or spec.sample_cap is None or n_rows <= spec.sample_cap:
        return None
    full = estimate_seconds(spec, n_rows, n_features, folds)
    capped = estimate_seconds(spec, spec.sample_cap, n_features, folds)
    message = (
        f"{spec.name} takes time that grows faster than the number of rows: on all {n_rows:,} rows it "
        f"would take {_duration(full)}. By default it trains on a random sample of "
        f"{spec.sample_cap:,} rows ({_duration(capped)}); you can lift the cap."
    )
    return CostWarning(spec.key, n_rows, spec.sample_cap, full, capped, message)


def _duration(seconds: float) -> str:
    """'under a second', 'about 4 s', 'about 12 min': rough (a fraction of a second is not 'about 1 s')."""
    if seconds < 1:
        return "under a second"
    if seconds < 60:
        return f"about {seconds:.0f} s"
    if seconds < 3600:
        return f"about {seconds / 60:.0f} min"
    return f"about {seconds / 3600:.1f} h"
