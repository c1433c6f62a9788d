"""Permutation importance on the holdout: the model-agnostic cross-check of SHAP's ranking.

Each original column is shuffled in turn and the drop in the holdout score measured; a column the model
leans on loses it much, one it ignores nothing.
"""

from __future__ import annotations

import time
import warnings

import pandas as pd

from mlcore.dataset import Dataset
from mlcore.explain.budget import BUDGET
from mlcore.schema import Task
from mlcore.train.run_data import holdout_rows, preprocessor
from mlcore.train.runs import Run


def permutation_seconds(run: Run, dataset: Dataset) -> float:
    """One timed prediction of the holdout rows, times the predictions permutation importance makes."""
    from threadpoolctl import threadpool_limits

    rows = holdout_rows(run, dataset).iloc[: BUDGET.permutation_rows]
    if len(rows) < 2:
        return 0.0
    features = [str(c) for c in preprocessor(run.pipeline).feature_names_in_]
    with threadpool_limits(1):
        start = time.perf_counter()
        run.pipeline.predict(rows[features])
        once = time.perf_counter() - start
    return once * (len(features) * BUDGET.permutation_repeats + 1)


def permutation_check(run: Run, dataset: Dataset, seed: int = 0) -> tuple[pd.DataFrame | None, str]:
    """Drop in the holdout score when each original column is shuffled (mean and spread of the shuffles)."""
    from sklearn.inspection import permutation_importance

    rows = holdout_rows(run, dataset)
    rows = rows[rows[run.target].notna()]
    if len(rows) < 2:
        return None, ""
    if len(rows) > BUDGET.permutation_rows:
        rows = rows.sample(BUDGET.permutation_rows, random_state=seed)
    features = [str(c) for c in preprocessor(run.pipeline).feature_names_in_]
    metric = "accuracy" if run.task is Task.CLASSIFICATION else "r2"
    from threadpoolctl import threadpool_limits

    with warnings.catch_warnings(), threadpool_limits(1):
        warnings.simplefilter("ignore")
        result = permutation_importance(
            run.pipeline,
            rows[features],
            rows[run.target].to_numpy(),
            scoring=metric,
            n_repeats=BUDGET.permutation_repeats,
            random_state=seed,
            n_jobs=1,
        )
    table = pd.DataFrame(
        {"feature": features, "importance": result.importances_mean, "std": result.importances_std}
    )
    return table.sort_values("importance", ascending=False).reset_index(drop=True), metric
