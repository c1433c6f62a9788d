"""The model registry: every model of both tasks, what the pages say about it, and how it is built.

A model is described once here: its settings (`hyperparams`), its estimator recipe (`estimator_recipe`)
and its cost (`model_cost`). Every estimator is single-threaded and seeded: parallelism comes from
training several models at once in worker processes, which keeps results identical however many run
together.
"""

from __future__ import annotations

import os
import shutil
from functools import lru_cache
from pathlib import Path

from mlcore.schema import Task
from mlcore.train import hyperparams as hp
from mlcore.train.budget import BUDGET
from mlcore.train.errors import UnknownModelError
from mlcore.train.estimator_recipe import Argument, EstimatorRecipe, layer_sizes, max_features
from mlcore.train.hyperparams import HyperParam
from mlcore.train.model_cost import CostWarning, cost_warning, estimate_seconds
from mlcore.train.model_spec import ModelSpec

__all__ = [
    "CostWarning",
    "HyperParam",
    "ModelSpec",
    "cost_warning",
    "default_set",
    "estimate_seconds",
    "get_model",
    "models_for",
    "xgboost_device",
]


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


_SINGLE_THREAD = {"n_jobs": 1}
_MLP_ARGUMENTS = {"hidden_layers": Argument("hidden_layer_sizes", layer_sizes)}
_EARLY_STOPPING = {"early_stopping": True}  # stop after 10 epochs without progress on 10% held-out rows
_XGBOOST_DEVICE = {"device": xgboost_device}  # the GPU when there is one, read at each build


def _forest(estimator: str, class_weight: bool = False) -> EstimatorRecipe:
    """The four forests: single-threaded, their "all" features choice spelled as scikit-learn's None."""
    return EstimatorRecipe(
        estimator,
        fixed=_SINGLE_THREAD,
        arguments={"max_features": Argument("max_features", max_features)},
        class_weight=class_weight,
    )


_CLF, _REG = Task.CLASSIFICATION, Task.REGRESSION

_REGISTRY: tuple[ModelSpec, ...] = (
    ModelSpec(
        "logistic_regression",
        "Logistic regression",
        _CLF,
        EstimatorRecipe("sklearn.linear_model.LogisticRegression", class_weight=True),
        hp.LINEAR_ITERATIVE,
        "A weighted sum of the features turned into class probabilities; fast and easy to interpret.",
        relative_cost=1,
    ),
    ModelSpec(
        "knn",
        "k-nearest neighbours",
        _CLF,
        EstimatorRecipe("sklearn.neighbors.KNeighborsClassifier", fixed=_SINGLE_THREAD, seed=None),
        hp.KNN,
        "Predicts the majority class of the most similar training rows; needs scaled numbers.",
        sample_cap=BUDGET.knn_cap,
        relative_cost=2,
    ),
    ModelSpec(
        "linear_svm",
        "Linear SVM",
        _CLF,
        EstimatorRecipe("sklearn.svm.LinearSVC", class_weight=True),
        hp.LINEAR_ITERATIVE,
        "Separates the classes with the widest possible straight boundary.",
        relative_cost=1,
    ),
    ModelSpec(
        "rbf_svm",
        "SVM (RBF kernel)",
        _CLF,
        EstimatorRecipe("sklearn.svm.SVC", fixed={"kernel": "rbf"}, class_weight=True),
        hp.KERNEL,
        "Draws curved boundaries around the classes; strong on small tables, slow on large ones.",
        sample_cap=BUDGET.svm_cap,
        relative_cost=6,
    ),
    ModelSpec(
        "decision_tree",
        "Decision tree",
        _CLF,
        EstimatorRecipe("sklearn.tree.DecisionTreeClassifier", class_weight=True),
        (hp.MAX_DEPTH, hp.MIN_LEAF, hp.CRITERION_CLF),
        "A flowchart of yes/no questions about the features; easy to read, prone to overfitting.",
        sample_cap=BUDGET.tree_cap,
        relative_cost=2,
    ),
    ModelSpec(
        "random_forest",
        "Random forest",
        _CLF,
        _forest("sklearn.ensemble.RandomForestClassifier", class_weight=True),
        hp.FOREST,
        "Many decision trees on random subsets of rows and columns, voting together.",
        sample_cap=BUDGET.tree_cap,
        relative_cost=8,
    ),
    ModelSpec(
        "extra_trees",
        "Extra trees",
        _CLF,
        _forest("sklearn.ensemble.ExtraTreesClassifier", class_weight=True),
        hp.FOREST,
        "Like a random forest but with random split points, which makes it faster and smoother.",
        sample_cap=BUDGET.tree_cap,
        relative_cost=5,
    ),
    ModelSpec(
        "hist_gradient_boosting",
        "Histogram gradient boosting",
        _CLF,
        EstimatorRecipe("sklearn.ensemble.HistGradientBoostingClassifier", class_weight=True),
        hp.HGB,
        "Trees added one after another, each fixing the last one's mistakes; strong on tables.",
        sparse_ok=False,
        relative_cost=5,
    ),
    ModelSpec(
        "xgboost",
        "XGBoost",
        _CLF,
        EstimatorRecipe(
            "mlcore.train.transformers.LabelEncodedXGBClassifier", class_weight=True, probed=_XGBOOST_DEVICE
        ),
        hp.XGB,
        "A fast, regularised gradient boosting library; uses the GPU when there is one.",
        relative_cost=5,
    ),
    ModelSpec(
        "naive_bayes",
        "Gaussian naive Bayes",
        _CLF,
        EstimatorRecipe("sklearn.naive_bayes.GaussianNB", seed=None),
        (hp.VAR_SMOOTHING,),
        "Assumes features are independent given the class; very fast, a good baseline.",
        sparse_ok=False,
        relative_cost=0.5,
    ),
    ModelSpec(
        "mlp",
        "Neural network (MLP)",
        _CLF,
        EstimatorRecipe(
            "sklearn.neural_network.MLPClassifier", fixed=_EARLY_STOPPING, arguments=_MLP_ARGUMENTS
        ),
        hp.MLP,
        "Layers of simple neurons learned by gradient descent; needs scaled numbers.",
        relative_cost=6,
    ),
    ModelSpec(
        "linear",
        "Linear regression",
        _REG,
        EstimatorRecipe("sklearn.linear_model.LinearRegression", seed=None),
        (hp.FIT_INTERCEPT,),
        "A weighted sum of the features fitted by least squares; the classic baseline.",
        relative_cost=0.5,
    ),
    ModelSpec(
        "ridge",
        "Ridge regression",
        _REG,
        EstimatorRecipe("sklearn.linear_model.Ridge", seed=None),
        (hp.ALPHA_LINEAR,),
        "Linear regression that keeps coefficients small, which helps with correlated features.",
        relative_cost=0.5,
    ),
    ModelSpec(
        "lasso",
        "Lasso regression",
        _REG,
        EstimatorRecipe("sklearn.linear_model.Lasso"),
        (hp.ALPHA_LINEAR, hp.MAX_ITER_LINEAR),
        "Linear regression that can set coefficients to exactly zero, choosing features itself.",
        relative_cost=1,
    ),
    ModelSpec(
        "elastic_net",
        "Elastic net",
        _REG,
        EstimatorRecipe("sklearn.linear_model.ElasticNet"),
        (hp.ALPHA_LINEAR, hp.L1_RATIO, hp.MAX_ITER_LINEAR),
        "A mix of ridge and lasso penalties.",
        relative_cost=1,
    ),
    ModelSpec(
        "knn",
        "k-nearest neighbours",
        _REG,
        EstimatorRecipe("sklearn.neighbors.KNeighborsRegressor", fixed=_SINGLE_THREAD, seed=None),
        hp.KNN,
        "Predicts the average of the most similar training rows; needs scaled numbers.",
        sample_cap=BUDGET.knn_cap,
        relative_cost=2,
    ),
    ModelSpec(
        "svr",
        "Support vector regression",
        _REG,
        EstimatorRecipe("sklearn.svm.SVR", seed=None),
        (*hp.KERNEL, hp.EPSILON),
        "Fits a curved function that ignores small errors; strong on small tables, slow on large ones.",
        sample_cap=BUDGET.svm_cap,
        relative_cost=6,
    ),
    ModelSpec(
        "decision_tree",
        "Decision tree",
        _REG,
        EstimatorRecipe("sklearn.tree.DecisionTreeRegressor"),
        (hp.MAX_DEPTH, hp.MIN_LEAF),
        "A flowchart of yes/no questions about the features; easy to read, prone to overfitting.",
        sample_cap=BUDGET.tree_cap,
        relative_cost=2,
    ),
    ModelSpec(
        "random_forest",
        "Random forest",
        _REG,
        _forest("sklearn.ensemble.RandomForestRegressor"),
        hp.FOREST_REGRESSION,
        "Many decision trees on random subsets of rows and columns, averaged together.",
        sample_cap=BUDGET.tree_cap,
        relative_cost=8,
    ),
    ModelSpec(
        "extra_trees",
        "Extra trees",
        _REG,
        _forest("sklearn.ensemble.ExtraTreesRegressor"),
        hp.FOREST,
        "Like a random forest but with random split points, which makes it faster and smoother.",
        sample_cap=BUDGET.tree_cap,
        relative_cost=4,
    ),
    ModelSpec(
        "hist_gradient_boosting",
        "Histogram gradient boosting",
        _REG,
        EstimatorRecipe("sklearn.ensemble.HistGradientBoostingRegressor"),
        hp.HGB,
        "Trees added one after another, each fixing the last one's mistakes; strong on tables.",
        sparse_ok=False,
        relative_cost=5,
    ),
    ModelSpec(
        "xgboost",
        "XGBoost",
        _REG,
        EstimatorRecipe(
            "xgboost.XGBRegressor",
            fixed={"tree_method": "hist", "n_jobs": 1, "verbosity": 0},
            probed=_XGBOOST_DEVICE,
        ),
        hp.XGB,
        "A fast, regularised gradient boosting library; uses the GPU when there is one.",
        relative_cost=5,
    ),
    ModelSpec(
        "mlp",
        "Neural network (MLP)",
        _REG,
        EstimatorRecipe(
            "sklearn.neural_network.MLPRegressor", fixed=_EARLY_STOPPING, arguments=_MLP_ARGUMENTS
        ),
        hp.MLP,
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
