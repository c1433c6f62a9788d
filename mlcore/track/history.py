"""A project's history as MLflow keeps it: every run across sessions and days, as a table, a
parallel-coordinates chart of settings against the score, a diff of two specs, and a run restored
into the session from its artifacts.
"""

from __future__ import annotations

import contextlib
import json
import tempfile
from pathlib import Path

import pandas as pd
import plotly.graph_objects as go

from mlcore.errors import MLCoreError
from mlcore.metrics import METRICS
from mlcore.track.project_files import ProjectFileError, run_from
from mlcore.track.projects import ProjectStore
from mlcore.track.recorder import PREDICTIONS_FILE, RECORD_FILE
from mlcore.track.tracking import MODEL_PATH, PROJECT_TAG, RUN_TAG, STATUS_TAG, Tracker
from mlcore.train.runs import Run

SPEC_PREFIX = "params."


def history_table(runs: pd.DataFrame) -> pd.DataFrame:
    """One row per MLflow run, newest first: when, model, status, seed, CV and holdout scores, ids."""
    if runs.empty:
        return pd.DataFrame(columns=["started", "model", "status", "seed", "run", "MLflow run"])
    table = pd.DataFrame(
        {
            "started": runs["start_time"].dt.floor("s"),
            "model": _column(runs, "tags.mlflow.runName"),
            "status": _column(runs, f"tags.{STATUS_TAG}"),
            "seed": pd.to_numeric(_column(runs, "params.seed"), errors="coerce"),
        }
    )
    for prefix, shown in (("cv_", "CV"), ("holdout_", "holdout")):
        for key, metric in METRICS.items():
            column = f"metrics.{prefix}{key}"
            if column in runs and runs[column].notna().any():
                table[f"{shown} {metric.label}"] = runs[column].to_numpy()
    table["project"] = _column(runs, f"tags.{PROJECT_TAG}").to_numpy()
    table["run"] = _column(runs, f"tags.{RUN_TAG}").to_numpy()
    table["MLflow run"] = runs["run_id"].to_numpy()
    return table


def spec_diff(runs: pd.DataFrame, first: str, second: str) -> pd.DataFrame:
    """The settings, then the scores, of two MLflow runs side by side, only where they differ (the
    per-fold scores are left out: MLflow's table holds only their last fold)."""
    by_id = runs.set_index("run_id")
    a, b = by_id.loc[first], by_id.loc[second]
    settings = sorted(c for c in by_id.columns if c.startswith(SPEC_PREFIX))
    scores = sorted(c for c in by_id.columns if c.startswith("metrics.") and "metrics.fold_" not in c)
    rows = [
        {"setting": column.split(".", 1)[1], "first": _shown(a[column]), "second": _shown(b[column])}
        for column in settings + scores
        if not _same(a[column], b[column])
    ]
    return pd.DataFrame(rows, columns=["setting", "first", "second"])


def parallel_figure(runs: pd.DataFrame, model: str, metric: str) -> go.Figure:
    """Each run of one model as a line through its hyperparameters to its CV score on `metric`."""
    chosen = runs[_column(runs, "params.model") == model]
    score = f"metrics.cv_{metric}"
    if score not in chosen or chosen[score].notna().sum() < 2:
        raise ValueError(f"Train {model} at least twice with different settings to compare them here.")
    chosen = chosen[chosen[score].notna()]
    dimensions = []
    for column in sorted(c for c in chosen.columns if c.startswith("params.param.")):
        values = chosen[column]
        if values.nunique(dropna=False) < 2:
            continue
        numbers = pd.to_numeric(values, errors="coerce")
        if numbers.notna().all():
            dimensions.append({"label": column.removeprefix("params.param."), "values": numbers})
        else:
            levels = sorted(values.fillna("").astype(str).unique())
            codes = values.fillna("").astype(str).map({v: i for i, v in enumerate(levels)})
            dimensions.append(
                {
                    "label": column.removeprefix("params.param."),
                    "values": codes,
                    "tickvals": list(range(len(levels))),
                    "ticktext": levels,
                }
            )
    if not dimensions:
        raise ValueError(f"The runs of {model} all have the same settings: change one and train again.")
    label = METRICS[metric].label
    dimensions.append({"label": f"CV {label}", "values": chosen[score]})
    figure = go.Figure(
        go.Parcoords(
            line={"color": chosen[score], "colorscale": "Viridis", "showscale": True},
            dimensions=dimensions,
        )
    )
    figure.update_layout(title=f"{model}: settings against CV {label}", height=420, margin={"l": 60, "r": 60})
    return figure


def restore_run(tracker: Tracker, store: ProjectStore, project_id: str, mlflow_run_id: str) -> Run:
    """A run back from its MLflow artifacts into the project (where the session picks it up)."""
    client = tracker.client

    def fetch(path: str, folder: str) -> Path:
        return Path(tracker.call(lambda: client.download_artifacts(mlflow_run_id, path, folder)))

    with tempfile.TemporaryDirectory() as folder:
        try:
            meta = json.loads(fetch(RECORD_FILE, folder).read_bytes())
            predictions = None
            with contextlib.suppress(MLCoreError):  # a run without a holdout has no predictions
                predictions = fetch(PREDICTIONS_FILE, folder).read_bytes()
            model = fetch(f"{MODEL_PATH}/model.skops", folder).read_bytes() if meta.get("has_model") else None
            run = run_from(meta, predictions, None)
            store.save_run(project_id, run, model)
        except (OSError, ValueError) as exc:
            raise ProjectFileError(
                f"This run's files in MLflow could not be read ({exc}).",
                "Runs logged before the workbench kept its record in MLflow cannot be restored.",
            ) from None
    store.set_tracked(project_id, run.id, {"mlflow_run_id": mlflow_run_id})
    return store.load_run(project_id, run.id)


def _column(frame: pd.DataFrame, name: str) -> pd.Series:
    return frame[name] if name in frame else pd.Series([None] * len(frame), index=frame.index, dtype=object)


def _same(left: object, right: object) -> bool:
    if pd.isna(left) and pd.isna(right):
        return True
    return left == right


def _shown(value: object) -> str:
    if pd.isna(value):
        return "—"
    return f"{value:.4g}" if isinstance(value, float) else str(value)
