"""One check of a model against a batch of new data: its features' drift, its predictions' drift, and,
when the batch has the true target, whether the model got worse beyond noise.

"Then" is what the model saw and said at training time: the rows it learned from for the features,
its holdout predictions for its outputs and its holdout score for its performance (the holdout, like
the new batch, is data the model did not learn from).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from mlcore.deploy.predict import predict_values
from mlcore.markup import markdown_code
from mlcore.monitor.batches import Batch
from mlcore.monitor.decay import Decay, Labelled, decay
from mlcore.monitor.drift import DriftReport, DriftSettings, FeatureDrift, drift_report, prediction_drift
from mlcore.monitor.subject import Watched
from mlcore.monitor.timeline import identity, record_check
from mlcore.schema import Task

MIN_LABELLED = 2  # labelled rows a score needs
PREDICTIONS = "predictions"


@dataclass(frozen=True)
class Check:
    """What a check found, and the whole verdict: drifted when a feature or the predictions moved
    beyond chance and by enough to matter, or the model got worse beyond noise."""

    title: str
    batch: str
    time: float
    drift: DriftReport
    predictions: FeatureDrift
    decay: Decay | None
    notes: tuple[str, ...] = field(default_factory=tuple)

    @property
    def drifted(self) -> bool:
        return self.drift.drifted or self.predictions.drifted or bool(self.decay and self.decay.beyond_noise)

    @property
    def predictions_sentence(self) -> str:
        """The predictions' verdict as a sentence about them (not about a column of that name)."""
        said = self.predictions.sentence.removeprefix(f"{markdown_code(PREDICTIONS)}: ")
        return f"The model's predictions: {said}"

    @property
    def sentence(self) -> str:
        parts = [self.drift.sentence, self.predictions_sentence]
        if self.decay is not None:
            parts.append(self.decay.sentence)
        return " ".join(p for p in parts if p)

    def summary(self, watched: Watched) -> dict[str, Any]:
        """The timeline's record of this check (JSON-safe)."""
        metric = None if self.decay is None else self.decay.to_dict()
        return {
            **identity(watched),
            "time": self.time,
            "batch": self.batch,
            "rows": self.drift.n_current,
            "drifted": self.drifted,
            "features_drifted": [f.name for f in self.drift.features if f.drifted],
            "drifted_share": self.drift.drifted_share,
            "importance_share": self.drift.importance_share,
            "predictions_drifted": self.predictions.drifted,
            "metric": metric,
        }

    def to_dict(self) -> dict[str, Any]:
        """Everything, JSON-safe (`mlcore monitor --json`)."""
        return {
            "model": self.title,
            "batch": self.batch,
            "time": self.time,
            "drifted": self.drifted,
            "sentence": self.sentence,
            "notes": list(self.notes),
            "drift": self.drift.to_dict(),
            "predictions": self.predictions.to_dict(),
            "decay": None if self.decay is None else self.decay.to_dict(),
        }


def run_check(
    watched: Watched, batch: Batch, settings: DriftSettings = DriftSettings(), keep: bool = True
) -> Check:
    """Compare the batch with what the model learned from; `keep` adds it to the project's timeline."""
    run = watched.run
    features = list(watched.kinds)
    drift = drift_report(
        watched.reference[features], batch.features[features], watched.kinds, watched.importance(), settings
    )
    labels, proba, notes = predict_values(watched.predictor, batch.features)
    classification = run.task is Task.CLASSIFICATION
    if run.y_pred is not None and len(run.y_pred):
        then = run.y_pred  # its holdout predictions, made at training time
    else:
        then = run.pipeline.predict(watched.reference[features])
    moved = prediction_drift(then, labels, classification, settings, name=PREDICTIONS)
    check = Check(
        watched.title,
        batch.name,
        time.time(),
        drift,
        moved,
        _decay(watched, batch, labels, proba, settings.seed),
        (*batch.notes, *dict.fromkeys(notes)),
    )
    if keep:
        record_check(watched, check.summary(watched))
    return check


def _decay(
    watched: Watched, batch: Batch, labels: np.ndarray, proba: np.ndarray | None, seed: int
) -> Decay | None:
    """The model's score on the batch's labelled rows against its holdout score (None without labels,
    or without a holdout to compare with)."""
    run = watched.run
    if batch.target is None or run.y_true is None or len(run.y_true) < MIN_LABELLED:
        return None
    known = batch.target.notna().to_numpy()
    if known.sum() < MIN_LABELLED:
        return None
    current = Labelled(
        pd.Series(batch.target).to_numpy(dtype=object)[known]
        if run.task is Task.CLASSIFICATION
        else batch.target.to_numpy(dtype=float)[known],
        labels[known],
        None if proba is None else proba[known],
    )
    holdout = Labelled(run.y_true, run.y_pred, run.proba)
    return decay(current, holdout, run.task, run.default_metric, run.classes, seed)
