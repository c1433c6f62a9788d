"""Issue 12, item 2: one metric registry, so the leaderboard, Evaluate and train.py agree.

The bug it pins: for a multiclass model that only gives decision scores (a linear SVM) the leaderboard's
ROC AUC was NaN while the Evaluate page showed 0.83 for the same predictions.
"""

from __future__ import annotations

import numpy as np
from model_helpers import make_dataset, make_frame, train
from sklearn import metrics as skm

from mlcore.evaluate.holdout import evaluate_run
from mlcore.metrics import LEADERBOARD_KEYS, METRICS, REGISTRY, evaluation_metrics_for, metrics_for
from mlcore.schema import Task
from mlcore.train.leaderboard import leaderboard
from mlcore.train.run_data import holdout_rows
from mlcore.train.split import SplitSpec


def test_multiclass_decision_scores_give_one_roc_auc_on_the_leaderboard_and_evaluate():
    dataset = make_dataset(make_frame(150), "kind")  # three classes
    run = train(dataset, "linear_svm", split=SplitSpec(cv_folds=3))
    assert run.proba is None and len(run.classes) == 3  # decision values only
    rows = holdout_rows(run, dataset)[dataset.features]
    decision = run.pipeline.decision_function(rows)
    by_hand = np.mean([skm.roc_auc_score(run.y_true == c, decision[:, k]) for k, c in enumerate(run.classes)])
    assert run.holdout["roc_auc"] == evaluate_run(run, dataset).metrics["roc_auc"] == by_hand
    assert not np.isnan(run.cv_mean["roc_auc"])  # every fold scored, not NaN
    assert leaderboard([run])["holdout ROC AUC"].iloc[0] == by_hand


def test_the_registry_is_the_one_list_of_metrics():
    assert len({m.key for m in REGISTRY}) == len(REGISTRY) == len(METRICS)
    for task in Task:
        shown = evaluation_metrics_for(task)
        assert (
            set(metrics_for(task)) <= set(shown) and tuple(metrics_for(task)) == LEADERBOARD_KEYS[task.value]
        )
        assert all(METRICS[key].task is task and METRICS[key].label for key in shown)
    assert not METRICS["rmse"].greater_is_better and METRICS["roc_auc"].reads == "scores"
    assert METRICS["log_loss"].reads == "probabilities"
