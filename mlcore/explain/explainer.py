"""The run-level explanation: SHAP on a sample of rows and permutation importance on the holdout.

The explainer's background comes from the run's training rows only and the explained rows from its
holdout, so an explanation never sees data the model was judged on while it was fitted.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from mlcore.dataset import Dataset
from mlcore.explain.permutation import permutation_check, permutation_seconds
from mlcore.explain.shap_values import Estimate, ExplainSettings, Explanation, Report, RunExplainer
from mlcore.train.run_data import check_run_data, holdout_rows, preprocessor, training_rows
from mlcore.train.runs import Run


def rows_to_explain(run: Run, dataset: Dataset, n: int, seed: int) -> pd.DataFrame:
    """Up to `n` holdout rows (training rows when there is no holdout), a seeded sample in frame order."""
    rows = holdout_rows(run, dataset)
    if rows.empty:
        rows = training_rows(run, dataset)
    features = [str(c) for c in preprocessor(run.pipeline).feature_names_in_]
    if len(rows) > n:
        positions = np.sort(np.random.default_rng(seed).choice(len(rows), n, replace=False))
        rows = rows.iloc[positions]
    return rows[features]


def run_explainer(run: Run, dataset: Dataset, settings: ExplainSettings = ExplainSettings()) -> RunExplainer:
    """The explainer for a run, with its background from the run's training rows only."""
    check_run_data(run, dataset)
    train = training_rows(run, dataset)
    return RunExplainer(run.pipeline, run.task, run.classes, train, settings)


@dataclass(frozen=True)
class GlobalExplanation:
    """SHAP on a sample of rows and permutation importance on the holdout, for one run."""

    run_id: str
    settings: ExplainSettings
    shap: Explanation
    permutation: pd.DataFrame | None
    permutation_metric: str = ""
    seconds: float = 0.0
    notes: tuple[str, ...] = field(default_factory=tuple)


def estimate(run: Run, dataset: Dataset, explainer: RunExplainer) -> Estimate:
    """The time for the global explanation and the permutation check, before starting them."""
    rows = min(explainer.settings.rows_for(explainer.method), _available_rows(run, dataset))
    shap_estimate = explainer.estimate(rows)
    return Estimate(shap_estimate.method, rows, shap_estimate.seconds, permutation_seconds(run, dataset))


def _available_rows(run: Run, dataset: Dataset) -> int:
    n = len(run.holdout_index) if run.holdout_index is not None else 0
    return n or len(training_rows(run, dataset))


def explain_run(
    run: Run,
    dataset: Dataset,
    settings: ExplainSettings = ExplainSettings(),
    report: Report | None = None,
    explainer: RunExplainer | None = None,
) -> GlobalExplanation:
    """Global SHAP values and permutation importance; progress goes to `report`."""
    started = time.perf_counter()
    if report is not None and explainer is None:
        report({"progress": 0.0, "message": "preparing the explainer (a summary of the training rows)"})
    explainer = explainer or run_explainer(run, dataset, settings)
    rows = rows_to_explain(run, dataset, settings.rows_for(explainer.method), settings.seed)

    def shap_progress(event: dict[str, Any]) -> None:
        if report is not None:
            report({**event, "progress": 0.9 * event["progress"]})

    values = explainer.explain(rows, shap_progress if report else None)
    if report is not None:
        report({"progress": 0.9, "message": "permutation importance on the holdout"})
    permutation, metric = permutation_check(run, dataset, settings.seed)
    notes = []
    if len(rows) < _available_rows(run, dataset):
        where = "holdout" if run.holdout_index is not None and len(run.holdout_index) else "training"
        notes.append(f"SHAP values of a random sample of {len(rows):,} {where} rows.")
    return GlobalExplanation(
        run.id, settings, values, permutation, metric, time.perf_counter() - started, tuple(notes)
    )


def explain_worker(
    report: Report, run: Run, dataset: Dataset, settings: ExplainSettings
) -> GlobalExplanation:
    """`explain_run` in a background job (module level so a worker process can import it)."""
    return explain_run(run, dataset, settings, report)
