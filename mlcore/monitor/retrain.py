"""Retraining a watched model on what it learned from plus the new labelled rows, and showing whether
it helped.

The model's own spec (preprocessing, estimator and parameters, split, seed) is trained again on the
project's rows plus most of the batch's labelled rows; a part of the newest rows is held out first,
and both the old and the new model are scored on it, the one comparison that says whether the
retrained model does better on the data the old one met in use. The retrained run goes into a
project of its own (a project holds one dataset), is tracked in MLflow like any run, and becomes the
next version of the registered model; promoting it to `champion` is one more call.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import numpy as np
import pandas as pd
from sklearn.model_selection import train_test_split

from mlcore.dataset import Dataset, derived
from mlcore.formatting import number, plural
from mlcore.metrics import METRICS, score
from mlcore.monitor.batches import Batch
from mlcore.monitor.subject import MonitorError, Watched
from mlcore.schema import Task
from mlcore.track.project_files import ProjectSettings
from mlcore.track.recorder import Recorder
from mlcore.track.tracking import registry_name
from mlcore.train.fit import predict, train_model
from mlcore.train.runs import ModelChoice, Run, TrainRequest

HELD_OUT = 0.3  # share of the new labelled rows kept aside to compare the old and the new model
MIN_NEW_ROWS = 10  # labelled new rows needed: some to learn from, some to compare on


@dataclass(frozen=True)
class Plan:
    """What retraining will do: the combined dataset and request, and the newest rows held out."""

    request: TrainRequest
    check: pd.DataFrame  # held-out new rows: the model's features in training types
    check_target: np.ndarray
    added: int  # new labelled rows trained on
    metric: str


@dataclass(frozen=True)
class Comparison:
    """The old and the new model scored on the held-out newest rows."""

    metric: str
    old: float
    new: float
    rows: int

    @property
    def better(self) -> bool:
        if self.new == self.old:
            return False
        return (self.new > self.old) == METRICS[self.metric].greater_is_better

    @property
    def sentence(self) -> str:
        label = METRICS[self.metric].label
        verdict = "does better" if self.better else "does not do better"
        return (
            f"On the {plural(self.rows, 'newest row')} held out from training, {label} "
            f"{number(self.old, 3)} (old model) → {number(self.new, 3)} (retrained): the retrained "
            f"model {verdict}."
        )


@dataclass(frozen=True)
class Retrained:
    """A retrained model, kept and (where tracking is on) registered."""

    run: Run
    comparison: Comparison
    project_id: str
    project_name: str
    model_name: str
    version: str | None  # None when MLflow tracking is off: kept in its project only


def plan(watched: Watched, batch: Batch, held_out: float = HELD_OUT) -> Plan:
    """The combined data and the held-out newest rows; refused plainly without enough labels."""
    run = watched.run
    if batch.target is None:
        raise MonitorError(
            f"The batch has no '{run.target}' column, so there is nothing new to learn from.",
            f"Upload the batch with its true '{run.target}' values to retrain.",
        )
    known = batch.target.notna().to_numpy()
    if known.sum() < MIN_NEW_ROWS:
        raise MonitorError(
            f"The batch has {plural(int(known.sum()), 'labelled row')}; retraining needs "
            f"{MIN_NEW_ROWS} or more.",
            "Add the true target to more rows of the batch.",
        )
    new = _new_rows(watched, batch, known)
    y = new[run.target].to_numpy()
    stratify = y if run.task is Task.CLASSIFICATION and pd.Series(y).value_counts().min() >= 2 else None
    kept, check = train_test_split(new, test_size=held_out, random_state=run.seed, stratify=stratify)
    request = TrainRequest(
        _combined(watched.dataset, kept, batch.name),
        prep=run.prep,
        split=run.split,
        models=(ModelChoice(run.model_key, dict(run.params)),),
        seed=run.seed,
    )
    features = list(watched.kinds)
    return Plan(request, check[features], check[run.target].to_numpy(), len(kept), run.default_metric)


def fit(report: Callable[[dict[str, Any]], None], retraining: Plan) -> Run:
    """Train the model's spec on the combined data, reporting each step (slow: the page runs it in a
    background job)."""

    def step(done: int, of: int) -> None:
        report(
            {"progress": done / of, "message": f"step {done} of {of} (cross-validation folds, then the fit)"}
        )

    retrained = train_model(retraining.request, retraining.request.models[0], on_fold=step)
    if not retrained.ok:
        raise MonitorError(f"Retraining failed: {retrained.message}", "Check the new rows, then try again.")
    return retrained


def compare(watched: Watched, retraining: Plan, retrained: Run) -> Comparison:
    """Both models on the held-out newest rows, by the metric the model is ranked by."""
    scores = []
    for pipeline in (watched.run.pipeline, retrained.pipeline):
        labels, proba, decision, _ = predict(pipeline, retraining.check)
        found = score(
            watched.run.task.value,
            retraining.check_target,
            labels,
            proba,
            decision,
            getattr(pipeline, "classes_", None),
        )
        scores.append(found[retraining.metric])
    return Comparison(retraining.metric, scores[0], scores[1], len(retraining.check))


def keep(
    watched: Watched, retraining: Plan, retrained: Run, comparison: Comparison, recorder: Recorder
) -> Retrained:
    """Save the retrained run in a project of its own, track it, and register it as the next version
    of the watched model (of a model named after the dataset when a run was watched)."""
    dataset = retraining.request.dataset
    store = recorder.store
    day = datetime.now(UTC).strftime("%Y-%m-%d")
    settings = ProjectSettings(
        prep=retrained.prep, split=retrained.split, seed=retrained.seed, model_keys=(retrained.model_key,)
    )
    info = store.create(dataset, settings, name=f"{store.info(watched.project_id).name} · retrained {day}")
    recorder.record(info.id, info.name, retrained, dataset)
    name = watched.name if watched.registered else (registry_name(watched.dataset.name) or "model")
    if recorder.tracker is None:
        if not recorder.wait_saved(600):
            raise MonitorError("Saving the retrained model took too long.", "Check the disk, then try again.")
        return Retrained(retrained, comparison, info.id, info.name, name, None)
    if not recorder.flush(600) or recorder.problem is not None:
        raise recorder.problem or MonitorError(
            "Tracking the retrained model took too long.", "Check the tracking store, then try again."
        )
    mlflow_run = store.tracked(info.id, retrained.id).get("mlflow_run_id")
    description = (
        f"{watched.title} retrained with {plural(retraining.added, 'new row')} ({dataset.name}). "
        f"{comparison.sentence}"
    )
    version = recorder.tracker.register(mlflow_run, name, description[:5000])
    return Retrained(retrained, comparison, info.id, info.name, name, version.version)


def promote(recorder: Recorder, kept: Retrained, alias: str = "champion") -> None:
    """Point `alias` at the retrained version (the version that had it loses it)."""
    if recorder.tracker is None or kept.version is None:
        raise MonitorError(
            "The retrained model is not registered (MLflow tracking is off).", "Unset MLCORE_TRACKING."
        )
    recorder.tracker.set_alias(kept.model_name, alias, kept.version)


def _new_rows(watched: Watched, batch: Batch, known: np.ndarray) -> pd.DataFrame:
    """The batch's labelled rows laid out as the project's table: the model's features in their
    training types, the target, and the other columns as given (missing where the batch has none)."""
    frame = watched.dataset.frame
    rows = pd.DataFrame(index=range(int(known.sum())))
    for name in frame.columns:
        if name in batch.features.columns:
            values: Any = batch.features[name].to_numpy()[known]
        elif name == watched.run.target:
            values = batch.target.to_numpy()[known]
        elif name in batch.rows.columns:
            values = batch.rows[name].to_numpy()[known]
        else:
            values = np.full(int(known.sum()), np.nan)
        rows[name] = values
    return rows


def _combined(dataset: Dataset, new: pd.DataFrame, batch_name: str) -> Dataset:
    """The project's dataset with the new rows added: the same columns, types, roles and target."""
    frame = pd.concat([dataset.frame, new], ignore_index=True)
    return derived(
        dataset, frame, f"{dataset.name} + {batch_name}", f"retraining: {dataset.source} + {batch_name}"
    )
