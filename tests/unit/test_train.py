"""Training: splits, metrics against sklearn, determinism, failures, leaderboard, background sessions."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd
import pytest
from sklearn import metrics as skm

from mlcore.data.samples import load_sample
from mlcore.dataset import build_dataset, hash_frame
from mlcore.errors import TargetError
from mlcore.train.errors import FoldError, TrainInputError
from mlcore.train.fit import train_model, validate_request
from mlcore.train.leaderboard import leaderboard
from mlcore.train.prep_spec import NumericPrep, PrepSpec
from mlcore.train.runs import ModelChoice, RunStatus, TrainRequest
from mlcore.train.session import TrainingSession
from mlcore.train.split import SplitSpec, make_split


@pytest.fixture(scope="module")
def iris():
    return load_sample("iris")


def labelled(frame: pd.DataFrame, target: str):
    return build_dataset(frame, name="t", source="test", content_hash=hash_frame(frame), target=target)


def slow_table(rows: int = 3000):
    rng = np.random.default_rng(0)
    frame = pd.DataFrame(rng.normal(size=(rows, 20)), columns=[f"x{i}" for i in range(20)])
    frame["target"] = np.where(frame["x0"] + rng.normal(size=rows) > 0, "up", "down")
    return labelled(frame, "target")


def test_holdout_metrics_equal_sklearns_on_the_same_predictions(iris):
    request = TrainRequest(iris, seed=3)
    split = make_split(iris, request.split, 3)
    run = train_model(request, ModelChoice("logistic_regression"), split)
    X_test = iris.frame.iloc[split.test][iris.features]
    y_test = iris.frame["species"].to_numpy()[split.test]
    assert np.array_equal(run.y_pred, run.pipeline.predict(X_test))
    assert run.holdout["accuracy"] == skm.accuracy_score(y_test, run.pipeline.predict(X_test))
    assert run.holdout["f1_macro"] == skm.f1_score(y_test, run.y_pred, average="macro")
    proba = run.pipeline.predict_proba(X_test)
    assert run.holdout["roc_auc"] == skm.roc_auc_score(y_test, proba, multi_class="ovr", labels=run.classes)
    assert run.cv_mean["accuracy"] == np.mean(run.fold_scores["accuracy"])
    assert list(run.holdout_index) == list(iris.frame.index[split.test])
    assert run.versions["scikit-learn"] and run.n_train_rows == len(split.train) == 120


def test_same_seed_and_settings_give_identical_runs(iris):
    request = TrainRequest(iris, prep=PrepSpec(numeric=NumericPrep(clip="iqr")), seed=11)
    light = {"random_forest": {"n_estimators": 30}, "mlp": {"max_iter": 60}, "xgboost": {"n_estimators": 30}}
    for key, params in light.items():
        first = train_model(request, ModelChoice(key, params))
        second = train_model(request, ModelChoice(key, params))
        assert first.status is RunStatus.OK and first.id == second.id
        assert first.fold_scores == second.fold_scores and first.holdout == second.holdout
        assert np.array_equal(first.proba, second.proba)
    other_seed = train_model(TrainRequest(iris, seed=12), ModelChoice("xgboost", light["xgboost"]))
    assert other_seed.id != first.id


def test_splits_are_stratified_and_the_holdout_is_never_in_a_fold(iris):
    split = make_split(iris, SplitSpec(test_size=0.2, cv_folds=5), 0)
    y = iris.frame["species"].to_numpy()
    assert pd.Series(y[split.test]).value_counts().tolist() == [10, 10, 10]
    assert not set(split.train) & set(split.test)
    for fit, val in split.folds:
        assert sorted([*fit, *val]) == list(range(len(split.train)))
        assert pd.Series(y[split.train][val]).value_counts().tolist() == [8, 8, 8]


def test_group_and_time_splits():
    rng = np.random.default_rng(0)
    frame = pd.DataFrame(
        {
            "x": rng.normal(size=200),
            "school": np.repeat([f"s{i}" for i in range(20)], 10),
            "day": pd.date_range("2024-01-01", periods=200, freq="D")[rng.permutation(200)],
            "target": rng.normal(size=200),
        }
    )
    dataset = labelled(frame, "target")
    grouped = make_split(dataset, SplitSpec(group_column="school", cv_folds=4), 0)
    schools = frame["school"].to_numpy()
    assert not set(schools[grouped.train]) & set(schools[grouped.test])
    for fit, val in grouped.folds:
        assert not set(schools[grouped.train][fit]) & set(schools[grouped.train][val])
    timed = make_split(dataset, SplitSpec(time_column="day", cv_folds=3), 0)
    days = frame["day"].to_numpy()
    assert days[timed.train].max() < days[timed.test].min()
    for fit, val in timed.folds:
        assert days[timed.train][fit].max() < days[timed.train][val].min()


def test_bad_targets_and_folds_are_typed_errors(iris):
    frame = iris.frame.copy()
    frame.loc[frame.index[:146], "species"] = "setosa"
    frame.loc[frame.index[146:], "species"] = "rare"  # 4 rows: 3 in training, fewer than 5 folds
    rare = labelled(frame, "species")
    with pytest.raises(FoldError, match="'rare' has only 3 row") as info:
        validate_request(TrainRequest(rare, models=(ModelChoice("knn"),)))
    assert "at most 3 folds" in info.value.hint
    assert validate_request(TrainRequest(rare, split=SplitSpec(cv_folds=3), models=(ModelChoice("knn"),)))
    one_class = replace(iris, frame=iris.frame.assign(species="setosa"))
    with pytest.raises(TargetError, match="only one class"):
        make_split(one_class, SplitSpec(), 0)
    with pytest.raises(TrainInputError, match="at least one model"):
        validate_request(TrainRequest(iris))


def test_a_failing_model_is_a_failed_run_and_non_convergence_a_warning(iris):
    request = TrainRequest(iris)
    failed = train_model(request, ModelChoice("knn", {"n_neighbors": 200}))
    assert failed.status is RunStatus.FAILED
    assert "fewer training rows than neighbours" in failed.message
    slow = train_model(request, ModelChoice("mlp", {"max_iter": 10}))
    assert slow.status is RunStatus.OK and "did not fully converge" in slow.warnings[0]


def test_leaderboard_orders_by_the_chosen_metric_with_failures_last(iris):
    request = TrainRequest(iris)
    split = make_split(iris, request.split, 0)
    runs = [
        train_model(request, ModelChoice("naive_bayes"), split),
        train_model(request, ModelChoice("knn", {"n_neighbors": 150}), split),
        train_model(request, ModelChoice("logistic_regression"), split),
        train_model(request, ModelChoice("decision_tree", {"max_depth": 1}), split),
    ]
    table = leaderboard(runs, "balanced_accuracy")
    assert table["status"].tolist() == ["ok", "ok", "ok", "failed"]
    scores = table["CV balanced accuracy"].tolist()[:3]
    assert scores == sorted(scores, reverse=True)
    assert table["rank"].tolist()[:3] == [1, 2, 3] and pd.isna(table["rank"].iloc[3])
    assert table["model"].iloc[3] == "k-nearest neighbours (n_neighbors=150)"
    with pytest.raises(TrainInputError, match="not a classification metric"):
        leaderboard(runs, "rmse")
    diabetes = load_sample("diabetes")
    reg_request = TrainRequest(diabetes, split=SplitSpec(cv_folds=3))
    reg_runs = [train_model(reg_request, ModelChoice(k)) for k in ("ridge", "decision_tree")]
    errors = leaderboard(reg_runs, "rmse")["CV RMSE"].tolist()
    assert errors == sorted(errors)
    ridge = reg_runs[0]
    assert ridge.holdout["rmse"] == skm.root_mean_squared_error(ridge.y_true, ridge.y_pred)
    assert ridge.holdout["r2"] == skm.r2_score(ridge.y_true, ridge.y_pred)


def test_session_fills_the_leaderboard_with_the_same_numbers_as_in_process(iris):
    request = TrainRequest(
        iris, models=tuple(ModelChoice(k) for k in ("logistic_regression", "knn", "xgboost"))
    )
    session = TrainingSession(request, workers=2)
    snapshot = session.wait(timeout=240)
    assert snapshot.state == "done" and snapshot.progress == 1.0
    assert [m.state for m in snapshot.models] == ["ok", "ok", "ok"]
    by_key = {run.model_key: run for run in snapshot.runs}
    local = train_model(request, ModelChoice("xgboost"))
    assert by_key["xgboost"].fold_scores == local.fold_scores and by_key["xgboost"].id == local.id
    assert by_key["knn"].pipeline.predict(iris.frame[iris.features]).shape == (150,)


def test_time_budget_stops_a_slow_model_and_keeps_the_others():
    dataset = slow_table()
    slow = ModelChoice("random_forest", {"n_estimators": 1000})
    fast = (ModelChoice("logistic_regression"), ModelChoice("naive_bayes"))
    request = TrainRequest(dataset, models=(slow, *fast), time_budget=3)
    snapshot = TrainingSession(request, workers=1).wait(timeout=240)  # the forest goes first, alone
    states = {m.key: m.state for m in snapshot.models}
    assert states == {"random_forest": "timed out", "logistic_regression": "ok", "naive_bayes": "ok"}
    timed_out = next(r for r in snapshot.runs if r.model_key == "random_forest")
    assert timed_out.status is RunStatus.TIMED_OUT and "time budget of 3 s" in timed_out.message
    assert leaderboard(snapshot.runs)["status"].tolist() == ["ok", "ok", "timed out"]


def test_stop_ends_the_run_promptly_and_keeps_finished_models():
    dataset = slow_table()
    models = (ModelChoice("random_forest", {"n_estimators": 1000}), ModelChoice("naive_bayes"))
    session = TrainingSession(TrainRequest(dataset, models=models), workers=2)
    for _ in range(240):  # naive Bayes finishes long before the slow forest
        snapshot = session.wait(timeout=0.5)
        if snapshot.models[1].state == "ok":
            break
    assert snapshot.models[0].state == "running" and snapshot.models[1].state == "ok"
    stopped = session.stop()
    assert stopped.state == "stopped"
    assert [m.state for m in stopped.models] == ["stopped", "ok"]
    assert session.poll().runs == stopped.runs  # nothing changes after a stop
