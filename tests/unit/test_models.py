"""The model registry: every model trains, parameters are checked, XGBoost keeps labels, costs warn."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import accuracy_score

from mlcore.data.samples import load_sample
from mlcore.schema import Task
from mlcore.train import models
from mlcore.train.budget import BUDGET
from mlcore.train.errors import ParamError, UnknownModelError
from mlcore.train.fit import single_threaded
from mlcore.train.models import (
    cost_warning,
    default_set,
    get_model,
    models_for,
    xgboost_device,
)
from mlcore.train.prep import build_pipeline
from mlcore.train.prep_spec import PrepSpec
from mlcore.train.transformers import LabelEncodedXGBClassifier

CLASSIFIERS = [
    "logistic_regression",
    "knn",
    "linear_svm",
    "rbf_svm",
    "decision_tree",
    "random_forest",
    "extra_trees",
    "hist_gradient_boosting",
    "xgboost",
    "naive_bayes",
    "mlp",
]
REGRESSORS = [
    "linear",
    "ridge",
    "lasso",
    "elastic_net",
    "knn",
    "svr",
    "decision_tree",
    "random_forest",
    "extra_trees",
    "hist_gradient_boosting",
    "xgboost",
    "mlp",
]


def test_registry_has_the_models_of_the_issue():
    assert [m.key for m in models_for(Task.CLASSIFICATION)] == CLASSIFIERS
    assert [m.key for m in models_for(Task.REGRESSION)] == REGRESSORS
    assert len(default_set(Task.CLASSIFICATION)) >= 10 and len(default_set(Task.REGRESSION)) >= 10


@pytest.mark.parametrize("task", [Task.CLASSIFICATION, Task.REGRESSION])
def test_every_parameter_has_a_valid_default_and_help(task):
    for spec in models_for(task):
        assert spec.description
        for param in spec.params:
            assert param.coerce(param.default) == param.default, (spec.key, param.name)
            assert param.help.endswith(".") and len(param.help.split()) >= 5
            if param.kind in ("int", "float"):
                assert param.low is not None and param.high is not None and param.low < param.high
                assert not param.log or param.low > 0


LIGHT = {  # fewer trees and epochs: these tests check that each model works, not how well
    "random_forest": {"n_estimators": 20},
    "extra_trees": {"n_estimators": 20},
    "xgboost": {"n_estimators": 20},
    "hist_gradient_boosting": {"max_iter": 20},
    "mlp": {"max_iter": 50, "learning_rate_init": 0.01},
}


def test_every_classifier_trains_and_predicts_labels():
    iris = load_sample("iris")
    X, y = iris.frame[iris.features], iris.frame[iris.target]
    with single_threaded():
        for key in CLASSIFIERS:
            predicted = build_pipeline(iris, PrepSpec(), key, LIGHT.get(key), seed=0).fit(X, y).predict(X)
            assert set(predicted) <= set(y), key
            assert accuracy_score(y, predicted) > 0.8, key


def test_every_regressor_trains_and_predicts_numbers():
    diabetes = load_sample("diabetes")
    X, y = diabetes.frame[diabetes.features], diabetes.frame[diabetes.target]
    with single_threaded(), warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        for key in REGRESSORS:
            predicted = build_pipeline(diabetes, PrepSpec(), key, LIGHT.get(key), seed=0).fit(X, y).predict(X)
            assert predicted.shape == (len(y),) and np.isfinite(predicted).all(), key


def test_parameters_are_checked_against_their_ranges():
    forest = get_model(Task.CLASSIFICATION, "random_forest")
    assert forest.resolve({"n_estimators": "50", "max_depth": None})["n_estimators"] == 50
    with pytest.raises(ParamError, match="between 10 and 1000"):
        forest.resolve({"n_estimators": 5})
    with pytest.raises(ParamError, match="not a valid value"):
        forest.resolve({"max_features": "most"})
    with pytest.raises(ParamError, match="no setting called"):
        forest.resolve({"depth": 3})
    with pytest.raises(UnknownModelError, match="no regression model called 'naive_bayes'"):
        get_model(Task.REGRESSION, "naive_bayes")


def test_built_estimators_carry_the_seed_and_parameters():
    forest = get_model(Task.CLASSIFICATION, "random_forest").build(
        {"n_estimators": 30}, seed=7, balanced=True
    )
    assert (forest.n_estimators, forest.random_state, forest.class_weight, forest.n_jobs) == (
        30,
        7,
        "balanced",
        1,
    )
    bayes = get_model(Task.CLASSIFICATION, "naive_bayes").build(None, seed=7, balanced=True)
    assert bayes.var_smoothing == 1e-9  # no class weights to give: ignored, not an error


def test_xgboost_classifier_predicts_the_original_string_labels():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(200, 3))
    y = np.where(X[:, 0] + 0.3 * rng.normal(size=200) > 0.8, "rare", "common")
    model = LabelEncodedXGBClassifier(n_estimators=20, random_state=0).fit(X, y)
    assert list(model.classes_) == ["common", "rare"]
    assert set(model.predict(X)) == {"common", "rare"}
    proba = model.predict_proba(X)
    assert np.array_equal(model.predict(X), model.classes_[proba.argmax(axis=1)])
    weighted = LabelEncodedXGBClassifier(n_estimators=20, random_state=0, class_weight="balanced").fit(X, y)
    assert (weighted.predict(X) == "rare").sum() > (model.predict(X) == "rare").sum()


def test_xgboost_uses_the_cpu_without_a_gpu(monkeypatch):
    monkeypatch.setenv("MLCORE_XGBOOST_DEVICE", "cuda")
    models.xgboost_device.cache_clear()
    assert xgboost_device() == "cuda"
    monkeypatch.delenv("MLCORE_XGBOOST_DEVICE")
    models.xgboost_device.cache_clear()
    monkeypatch.setattr(models.shutil, "which", lambda name: None)
    monkeypatch.setattr(models.Path, "exists", lambda self: False)
    assert xgboost_device() == "cpu"
    models.xgboost_device.cache_clear()


def test_super_linear_models_warn_on_large_data_and_name_their_sample():
    svm = get_model(Task.CLASSIFICATION, "rbf_svm")
    warning = cost_warning(svm, 100_000, 30)
    assert warning is not None and warning.cap == BUDGET.svm_cap
    assert warning.estimated_seconds > 100 * warning.capped_seconds
    assert "5,000 rows" in warning.message and "100,000" in warning.message
    assert cost_warning(svm, BUDGET.svm_cap, 30) is None
    assert cost_warning(get_model(Task.CLASSIFICATION, "knn"), BUDGET.knn_cap + 1, 30).cap == BUDGET.knn_cap
    forest = get_model(Task.REGRESSION, "random_forest")
    assert cost_warning(forest, 20_000, 30) is None
    assert cost_warning(forest, 80_000, 30).cap == BUDGET.tree_cap
    assert cost_warning(get_model(Task.CLASSIFICATION, "logistic_regression"), 10**6, 30) is None
