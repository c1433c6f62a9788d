"""The leaderboard: one row per run, best first by the chosen metric (the data's default otherwise)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from mlcore.metrics import METRICS, metrics_for
from mlcore.train.errors import TrainInputError
from mlcore.train.runs import Run, RunStatus


def leaderboard(runs: list[Run], metric: str | None = None) -> pd.DataFrame:
    """One row per run, best first by the CV mean of `metric` (holdout when there is no CV)."""
    columns = ["rank", "model", "status"]
    if not runs:
        return pd.DataFrame(columns=columns)
    task = runs[0].task
    metric = metric or runs[0].default_metric
    if metric not in metrics_for(task):
        raise TrainInputError(
            f"'{metric}' is not a {task.value} metric.", f"Choose one of: {', '.join(metrics_for(task))}."
        )
    names = [metric, *[m for m in metrics_for(task) if m != metric]]
    rows = []
    for run in runs:
        row: dict[str, Any] = {"model": run.label, "status": run.status.value}
        row[f"CV {METRICS[metric].label}"] = run.cv_mean.get(metric, np.nan)
        row["CV ± std"] = run.cv_std.get(metric, np.nan)
        for name in names[1:]:
            row[f"CV {METRICS[name].label}"] = run.cv_mean.get(name, np.nan)
        for name in names:
            row[f"holdout {METRICS[name].label}"] = run.holdout.get(name, np.nan)
        row["fit s"] = run.fit_seconds
        row["predict s"] = run.predict_seconds
        row["rows"] = run.n_train_rows or np.nan
        row["note"] = "; ".join(filter(None, (run.message, *run.notes, *run.warnings)))
        row["run id"] = run.id
        rows.append(row)
    table = pd.DataFrame(rows)
    key = f"CV {METRICS[metric].label}"
    if table[key].isna().all():
        key = f"holdout {METRICS[metric].label}"
    sign = -1 if METRICS[metric].greater_is_better else 1
    order = sorted(
        range(len(runs)),
        key=lambda i: (
            not runs[i].ok,
            np.isnan(table[key].iloc[i]),
            sign * np.nan_to_num(table[key].iloc[i]),
        ),
    )
    table = table.iloc[order].reset_index(drop=True)
    ok = table["status"] == RunStatus.OK.value
    table.insert(0, "rank", pd.array([i + 1 if good else pd.NA for i, good in enumerate(ok)], dtype="Int64"))
    return table
