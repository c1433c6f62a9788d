"""The holdout rows a model got most confidently wrong: where a learner looks first."""

from __future__ import annotations

import numpy as np
import pandas as pd

from mlcore.schema import Task
from mlcore.train.runs import Run


def confidently_wrong(run: Run, limit: int = 20) -> pd.DataFrame:
    """Holdout rows the model got most confidently wrong (largest errors, for regression); `row` holds
    frame index labels, and a regression's `residual` is actual − predicted, as on the Evaluate page."""
    columns = ["row", "actual", "predicted", "confidence" if run.task is Task.CLASSIFICATION else "residual"]
    if run.y_true is None or run.y_pred is None or run.holdout_index is None or not len(run.y_true):
        return pd.DataFrame(columns=columns)
    y_true, y_pred = np.asarray(run.y_true), np.asarray(run.y_pred)
    if run.task is Task.CLASSIFICATION:
        wrong = np.flatnonzero(y_true != y_pred)
        if run.proba is not None:
            confidence = np.asarray(run.proba).max(axis=1)[wrong]
        else:
            confidence = np.full(len(wrong), np.nan)
        order = np.argsort(-np.nan_to_num(confidence, nan=-1.0), kind="stable")[:limit]
        chosen, score = wrong[order], confidence[order]
    else:
        residual = y_true.astype(float) - y_pred.astype(float)
        order = np.argsort(-np.abs(residual), kind="stable")[:limit]
        chosen, score = order, residual[order]
    return pd.DataFrame(
        {
            "row": np.asarray(run.holdout_index)[chosen],
            "actual": y_true[chosen],
            "predicted": y_pred[chosen],
            columns[3]: score,
        }
    )
