"""Tuning: grids from the registry ranges, the same folds as training, budgets, plots, applying the best."""

from __future__ import annotations

import numpy as np
import pytest

from mlcore.compute.jobs import Job, JobState
from mlcore.data.samples import load_sample
from mlcore.schema import Task
from mlcore.train.errors import ParamError, TrainInputError
from mlcore.train.fit import train_model
from mlcore.train.models import get_model
from mlcore.train.runs import TrainRequest
from mlcore.train.split import SplitSpec
from mlcore.train.tuning import (
    TuneSpec,
    apply_best,
    grid_values,
    result_from_events,
    score_plot,
    trials_table,
    tune,
)


@pytest.fixture(scope="module")
def request_():
    return TrainRequest(load_sample("breast_cancer"), split=SplitSpec(cv_folds=3), seed=5)


def ignore(event):
    return None


def test_grid_values_follow_the_registry_ranges():
    tree = get_model(Task.CLASSIFICATION, "decision_tree")
    assert grid_values(tree.param("max_depth"), 3) == [1, 10, 100]  # 1..100 on a log scale
    assert grid_values(tree.param("criterion"), 3) == ["gini", "entropy"]
    logistic = get_model(Task.CLASSIFICATION, "logistic_regression")
    assert grid_values(logistic.param("C"), 4) == [0.001, 0.1, 10.0, 1000.0]


def test_grid_search_scores_each_setting_with_the_training_folds(request_):
    spec = TuneSpec("decision_tree", "grid", params=("max_depth",), n_trials=10, time_budget=None)
    result = tune(ignore, request_, spec)
    assert sorted(t.params["max_depth"] for t in result.trials) == [1, 10, 100]
    best = apply_best(result)
    rerun = train_model(request_, best)
    assert rerun.cv_mean["accuracy"] == result.best_score
    assert rerun.fold_scores["accuracy"] == result.best.fold_scores
    table = trials_table(result)
    assert table["best"].sum() == 1 and list(table.columns[-1:]) == ["max_depth"]


def test_tpe_search_is_reproducible_and_plots_best_so_far(request_):
    spec = TuneSpec(
        "decision_tree", "tpe", params=("max_depth", "min_samples_leaf"), n_trials=6, time_budget=None
    )
    first, second = tune(ignore, request_, spec), tune(ignore, request_, spec)
    assert [t.params for t in first.trials] == [t.params for t in second.trials]
    assert [t.score for t in first.trials] == [t.score for t in second.trials]
    figure = score_plot(first)
    best_line = np.asarray(figure.data[1].y)
    assert np.all(np.diff(best_line) >= 0) and best_line[-1] == first.best_score


def test_time_budget_ends_the_search_and_keeps_finished_trials(request_):
    events = []
    spec = TuneSpec("random_forest", "random", n_trials=500, time_budget=1.0)
    result = tune(events.append, request_, spec)
    assert result.stopped_reason == "time budget reached"
    assert 1 <= len(result.trials) < 500
    partial = result_from_events(spec, "accuracy", events, "stopped")
    assert partial.trials == result.trials


def test_bad_tuning_requests_are_typed_errors(request_):
    with pytest.raises(ParamError, match="no setting called"):
        tune(ignore, request_, TuneSpec("xgboost", params=("depth",)))
    no_cv = TrainRequest(request_.dataset, split=SplitSpec(cv_folds=0))
    with pytest.raises(TrainInputError, match="cross-validation"):
        tune(ignore, no_cv, TuneSpec("xgboost"))


def test_tuning_runs_as_a_background_job(request_):
    spec = TuneSpec("naive_bayes", "random", n_trials=3, time_budget=None)
    snapshot = Job(tune, request_, spec).wait(timeout=120)
    assert snapshot.state is JobState.DONE
    assert len(snapshot.result.trials) == 3 and len(snapshot.events) == 3
    assert snapshot.result.best_score == max(t.score for t in snapshot.result.trials)
