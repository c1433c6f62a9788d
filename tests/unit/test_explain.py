"""SHAP on whole pipelines: efficiency per explainer, original names, grouping, cross-checks."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
from model_helpers import make_dataset, make_frame, train
from sklearn.inspection import permutation_importance

from mlcore.explain import plots as explain_plots
from mlcore.explain.explainer import explain_run, rows_to_explain, run_explainer
from mlcore.explain.features import feature_map, transform
from mlcore.explain.mistakes import confidently_wrong
from mlcore.explain.permutation import permutation_check
from mlcore.explain.shap_values import Estimate, ExplainSettings, choose_method
from mlcore.schema import Task
from mlcore.train.prep_spec import CategoricalPrep, NumericPrep, PrepSpec
from mlcore.train.run_data import RunDataError

FRAME = make_frame(120)


def _model_output(run, X: pd.DataFrame, method: str) -> np.ndarray:
    """What each explainer's values must add up to, computed without SHAP."""
    pipeline = run.pipeline
    model = pipeline.steps[-1][1]
    if method == "kernel":
        out = pipeline.predict_proba(X) if run.task is Task.CLASSIFICATION else pipeline.predict(X)
    else:
        Z = transform(pipeline, X)
        inner = getattr(model, "model_", model)
        if type(inner).__name__ == "XGBClassifier":
            out = inner.predict(Z, output_margin=True)
        elif run.task is Task.REGRESSION:
            out = model.predict(Z)
        elif hasattr(model, "decision_function") and type(model).__name__ != "RandomForestClassifier":
            out = model.decision_function(Z)
        else:
            out = model.predict_proba(Z)
    out = np.asarray(out, dtype=float)
    return out.reshape(len(X), -1)


CASES = [
    ("kind", "xgboost", "tree", 1e-4),
    ("label", "random_forest", "tree", 1e-9),
    ("price", "hist_gradient_boosting", "tree", 1e-9),
    ("price", "decision_tree", "tree", 1e-9),
    ("label", "logistic_regression", "linear", 1e-9),
    ("price", "ridge", "linear", 1e-9),
    ("kind", "knn", "kernel", 1e-9),
    ("price", "svr", "kernel", 1e-9),
]


@pytest.mark.parametrize(("target", "key", "method", "tolerance"), CASES)
def test_shap_values_add_up_to_the_model_output(target, key, method, tolerance):
    dataset = make_dataset(FRAME, target)
    run = train(dataset, key, prep=PrepSpec(numeric=NumericPrep(add_indicator=True)))
    explainer = run_explainer(run, dataset, ExplainSettings(background=20))
    assert explainer.method == method
    rows = rows_to_explain(run, dataset, 8, seed=0)
    explanation = explainer.explain(rows)
    expected = _model_output(run, rows, method)
    assert explanation.values.shape[0] == len(rows)
    if explanation.values.shape[2] != expected.shape[1]:  # one-output binary margin
        expected = expected[:, -1:]
    np.testing.assert_allclose(explanation.output(), expected, atol=tolerance, rtol=tolerance)


def test_grouped_values_are_the_sums_of_their_expanded_columns():
    dataset = make_dataset(make_frame(120, dates=True, text=True), "kind")
    run = train(dataset, "logistic_regression", prep=PrepSpec(numeric=NumericPrep(add_indicator=True)))
    explanation = run_explainer(run, dataset).explain(rows_to_explain(run, dataset, 30, seed=0))
    expanded, _ = explanation.feature_values(expanded=True)
    grouped, features = explanation.feature_values()
    assert features == [c for c in dataset.features]
    sources = explanation.fmap.sources
    for j, feature in enumerate(features):
        members = [i for i, s in enumerate(sources) if s == feature]
        assert members, feature
        np.testing.assert_allclose(grouped[:, j, :], expanded[:, members, :].sum(axis=1), atol=1e-12)
    # grouping keeps the total, and importances are mean |grouped value|
    np.testing.assert_allclose(grouped.sum(axis=1), expanded.sum(axis=1), atol=1e-9)
    importance = explanation.importance(output=0)
    np.testing.assert_allclose(importance["colour"], np.abs(grouped[:, features.index("colour"), 0]).mean())


def test_feature_map_traces_each_expanded_column_to_its_source():
    dataset = make_dataset(make_frame(120, dates=True, text=True), "label")
    prep = PrepSpec(
        numeric=NumericPrep(add_indicator=True, clip="iqr"), categorical=CategoricalPrep(max_levels=2)
    )
    run = train(dataset, "logistic_regression", prep=prep)
    fmap = feature_map(run.pipeline)
    by_name = dict(zip(fmap.columns, fmap.sources, strict=True))
    assert by_name["numeric__a"] == "a"
    assert by_name["missing__missingindicator_b"] == "b"  # the "was missing" flag belongs to b
    assert {by_name[c] for c in fmap.columns if c.startswith("categorical__")} == {"colour"}
    assert sum(c.startswith("categorical__") for c in fmap.columns) == 2  # 2 levels: one and 'infrequent'
    assert {by_name[c] for c in fmap.columns if c.startswith("datetime__")} == {"when"}
    assert sum(1 for s in fmap.sources if s == "when") == 5  # year, month, day, day of week, hour
    assert sum(1 for s in fmap.sources if s == "review") == 8  # one TF-IDF column per word
    assert fmap.recoverable and not fmap.note
    assert len(fmap.columns) == transform(run.pipeline, dataset.frame[dataset.features].head(3)).shape[1]


def test_selection_keeps_names_and_pca_says_it_cannot():
    dataset = make_dataset(FRAME, "label")
    selected = train(dataset, "logistic_regression", prep=PrepSpec(k_best=2))
    fmap = feature_map(selected.pipeline)
    assert len(fmap.columns) == 2 and fmap.recoverable
    pca = train(dataset, "random_forest", prep=PrepSpec(pca_components=2))
    fmap = feature_map(pca.pipeline)
    assert fmap.columns == ("pca0", "pca1") and not fmap.recoverable
    assert "cannot be given in your original column names" in fmap.note
    explanation = run_explainer(pca, dataset).explain(rows_to_explain(pca, dataset, 5, 0))
    assert not explanation.grouped and list(explanation.importance().index) in (
        ["pca0", "pca1"],
        ["pca1", "pca0"],
    )
    # the model-agnostic explainer explains the whole pipeline in the original names
    agnostic = run_explainer(pca, dataset, ExplainSettings(method="agnostic", background=10))
    assert set(agnostic.explain(rows_to_explain(pca, dataset, 2, 0)).importance().index) == set(
        dataset.features
    )


def test_explainer_choice_follows_the_model():
    dataset = make_dataset(FRAME, "label")
    assert choose_method(train(dataset, "xgboost").pipeline) == "tree"
    assert choose_method(train(dataset, "linear_svm").pipeline) == "linear"
    assert choose_method(train(dataset, "naive_bayes").pipeline) == "kernel"
    assert choose_method(train(dataset, "xgboost").pipeline, ExplainSettings(method="agnostic")) == "kernel"


def test_global_explanation_and_permutation_cross_check():
    dataset = make_dataset(FRAME, "label")
    run = train(dataset, "random_forest")
    events: list[dict] = []
    result = explain_run(run, dataset, ExplainSettings(rows=10), report=events.append)
    assert result.shap.values.shape[:2] == (10, len(result.shap.fmap.columns))
    assert events and events[-1]["progress"] == pytest.approx(0.9)
    # the cross-check equals scikit-learn's permutation importance on the holdout
    holdout = dataset.frame.loc[run.holdout_index]
    expected = permutation_importance(
        run.pipeline,
        holdout[dataset.features],
        holdout["label"],
        scoring="accuracy",
        n_repeats=5,
        random_state=0,
    )
    table = result.permutation.set_index("feature")
    for j, name in enumerate(dataset.features):
        assert table.loc[name, "importance"] == pytest.approx(expected.importances_mean[j])
    assert result.permutation_metric == "accuracy"
    assert table["importance"].idxmax() == "a"  # the feature the label is built from


def test_estimate_before_starting():
    dataset = make_dataset(FRAME, "label")
    run = train(dataset, "knn")
    explainer = run_explainer(run, dataset, ExplainSettings(background=10))
    estimate = explainer.estimate(40)
    assert estimate.method == "kernel" and estimate.rows == 40 and estimate.seconds > 0
    assert Estimate("tree", 10, 30.0).slow and not Estimate("tree", 10, 0.5).slow
    assert "about 30 s" in Estimate("tree", 10, 30.0).message()


def test_confidently_wrong_lists_confident_mistakes_first():
    run = SimpleNamespace(
        task=Task.CLASSIFICATION,
        y_true=np.array(["a", "b", "a", "b"]),
        y_pred=np.array(["b", "b", "b", "a"]),
        proba=np.array([[0.4, 0.6], [0.1, 0.9], [0.05, 0.95], [0.7, 0.3]]),
        holdout_index=np.array([10, 11, 12, 13]),
    )
    table = confidently_wrong(run)
    assert table["row"].tolist() == [12, 13, 10]
    assert table["confidence"].tolist() == [0.95, 0.7, 0.6]
    regression = SimpleNamespace(
        task=Task.REGRESSION,
        y_true=np.array([1.0, 2.0, 3.0]),
        y_pred=np.array([1.5, 0.0, 3.1]),
        proba=None,
        holdout_index=np.array([5, 6, 7]),
    )
    assert confidently_wrong(regression)["row"].tolist() == [6, 5, 7]


def test_run_on_other_data_is_refused_plainly():
    dataset = make_dataset(FRAME, "label")
    run = train(dataset, "decision_tree")
    other = make_dataset(make_frame(50, seed=3), "label", name="other.csv")
    with pytest.raises(RunDataError, match="not the dataset loaded now"):
        run_explainer(run, other)
    assert permutation_check(run, dataset)[1] == "accuracy"


def test_plots_draw_from_explanations():
    dataset = make_dataset(make_frame(80, dates=True), "kind")
    run = train(dataset, "xgboost")
    explanation = run_explainer(run, dataset).explain(rows_to_explain(run, dataset, 12, 0))
    matrix = explanation.matrix(0)
    bar = explain_plots.importance_bar(explanation.importance(0))
    assert list(bar.data[0].y)[-1] == explanation.importance(0).index[0]  # largest on top
    swarm = explain_plots.beeswarm(matrix, explanation.shown_data())
    assert sum(len(t.x) for t in swarm.data) == matrix.size
    assert len(explain_plots.dependence(explanation.data["a"], matrix["a"]).data) == 1
    assert (
        len(explain_plots.dependence(explanation.data["colour"], matrix["colour"]).data) >= 2
    )  # box per level
    row = matrix.iloc[0]
    fall = explain_plots.waterfall(row, float(explanation.base[0, 0]), top=3)
    steps = fall.data[0].x
    assert len(steps) == 1 + 3 + 1 + 1  # base, three features, the rest, the row
    assert steps[0] + sum(steps[1:-1]) == pytest.approx(steps[-1])
    assert steps[-1] == pytest.approx(explanation.output()[0, 0])
    with pytest.raises(ValueError):
        explain_plots.importance_bar(pd.Series(dtype=float))
