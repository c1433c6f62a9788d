"""The History page's table, diff and chart (issue 13), from runs as MLflow lists them."""

from __future__ import annotations

import pandas as pd
import pytest

from mlcore.track.history import history_table, parallel_figure, spec_diff


def _runs() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "run_id": ["a" * 32, "b" * 32, "c" * 32],
            "status": ["FINISHED"] * 3,
            "start_time": pd.to_datetime(
                ["2026-12-02 10:00:03", "2026-12-02 10:00:02", "2026-12-02 10:00:01"]
            ),
            "metrics.cv_accuracy": [0.91, 0.95, 0.80],
            "metrics.holdout_accuracy": [0.90, 0.94, None],
            "metrics.fold_accuracy": [0.9, 0.96, 0.8],
            "params.model": ["decision_tree", "decision_tree", "knn"],
            "params.seed": ["0", "0", "1"],
            "params.param.max_depth": ["3", "8", None],
            "params.param.criterion": ["gini", "entropy", None],
            "params.param.n_neighbors": [None, None, "5"],
            "tags.mlflow.runName": ["Decision tree (max_depth=3)", "Decision tree", "k-NN"],
            "tags.mlcore.status": ["ok", "ok", "ok"],
            "tags.mlcore.run_id": ["r1", "r2", "r3"],
        }
    )


def test_the_table_has_one_row_per_run_with_its_scores_and_ids():
    table = history_table(_runs())
    assert list(table["model"]) == ["Decision tree (max_depth=3)", "Decision tree", "k-NN"]
    assert list(table["CV accuracy"]) == [0.91, 0.95, 0.80]
    assert table["holdout accuracy"].isna().tolist() == [False, False, True]
    assert list(table["seed"]) == [0, 0, 1] and list(table["run"]) == ["r1", "r2", "r3"]
    assert history_table(pd.DataFrame()).empty


def test_the_diff_lists_settings_first_then_scores_and_only_what_differs():
    diff = spec_diff(_runs(), "a" * 32, "b" * 32)
    assert list(diff["setting"]) == ["param.criterion", "param.max_depth", "cv_accuracy", "holdout_accuracy"]
    assert diff.set_index("setting").loc["param.max_depth"].tolist() == ["3", "8"]
    assert "seed" not in set(diff["setting"]) and "fold_accuracy" not in set(diff["setting"])
    assert spec_diff(_runs(), "a" * 32, "a" * 32).empty


def test_parallel_coordinates_show_each_setting_against_the_score():
    figure = parallel_figure(_runs(), "decision_tree", "accuracy")
    dimensions = {d.label: d for d in figure.data[0].dimensions}
    assert list(dimensions) == ["criterion", "max_depth", "CV accuracy"]
    assert list(dimensions["max_depth"].values) == [3, 8]
    assert list(dimensions["criterion"].ticktext) == ["entropy", "gini"]
    assert list(dimensions["CV accuracy"].values) == [0.91, 0.95]
    with pytest.raises(ValueError, match="at least twice"):
        parallel_figure(_runs(), "knn", "accuracy")
