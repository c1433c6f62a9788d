"""What a training run is, as plain data: the request that makes runs and the run that comes back.

A light module with no fitting code, so every stage (evaluate, explain, deploy) and the pages can name
these types: a `Run` never changes after it is made, and the same `TrainRequest` always gives the same
numbers.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

import numpy as np

from mlcore.dataset import Dataset
from mlcore.metrics import ClassCounts, default_metric
from mlcore.schema import Task
from mlcore.train.errors import TrainInputError
from mlcore.train.models import default_set, get_model
from mlcore.train.prep_spec import PrepSpec
from mlcore.train.split import SplitSpec


class RunStatus(StrEnum):
    OK = "ok"
    FAILED = "failed"
    TIMED_OUT = "timed out"
    STOPPED = "stopped"


@dataclass(frozen=True)
class ModelChoice:
    """A model to train: registry key, parameter overrides, and whether its sample cap applies."""

    key: str
    params: dict[str, Any] = field(default_factory=dict)
    capped: bool = True


@dataclass(frozen=True)
class TrainRequest:
    """Everything a training run depends on; the same request always gives the same numbers."""

    dataset: Dataset
    prep: PrepSpec = field(default_factory=PrepSpec)
    split: SplitSpec = field(default_factory=SplitSpec)
    models: tuple[ModelChoice, ...] = ()
    seed: int = 0
    time_budget: float | None = None  # seconds per model; None = no limit

    @classmethod
    def compare_all(cls, dataset: Dataset, **settings: Any) -> TrainRequest:
        """The default "compare all" set of models for the dataset's task."""
        if dataset.task is None:
            raise TrainInputError("Choose a target column before training.", "Pick the column to predict.")
        return cls(dataset, models=tuple(ModelChoice(k) for k in default_set(dataset.task)), **settings)


@dataclass(frozen=True)
class OutOfFold:
    """Every training row's prediction from the fold model that did not see it (pooled over the
    cross-validation folds, in fold order)."""

    index: np.ndarray  # frame index labels
    fold: np.ndarray  # fold number (1-based) per row
    y_true: np.ndarray
    y_pred: np.ndarray
    proba: np.ndarray | None
    classes: tuple[Any, ...] | None
    decision: np.ndarray | None = None  # binary models without probabilities: the second class's score


@dataclass(frozen=True)
class Run:
    """One trained model with everything needed to compare, explain and reproduce it."""

    id: str
    dataset_hash: str
    dataset_name: str
    task: Task
    target: str
    prep: PrepSpec
    split: SplitSpec
    seed: int
    model_key: str
    model_name: str
    params: dict[str, Any]
    status: RunStatus
    message: str = ""
    warnings: tuple[str, ...] = ()
    fold_scores: dict[str, tuple[float, ...]] = field(default_factory=dict)
    cv_mean: dict[str, float] = field(default_factory=dict)
    cv_std: dict[str, float] = field(default_factory=dict)
    holdout: dict[str, float] = field(default_factory=dict)
    holdout_index: np.ndarray | None = None  # frame index labels of the holdout rows
    y_true: np.ndarray | None = None
    y_pred: np.ndarray | None = None
    proba: np.ndarray | None = None  # holdout class probabilities, columns in `classes` order
    classes: tuple[Any, ...] | None = None
    oof: OutOfFold | None = None  # the training rows' out-of-fold predictions (None without CV)
    fit_seconds: float = float("nan")  # mean per fold (the final fit when there is no CV)
    predict_seconds: float = float("nan")
    total_seconds: float = 0.0
    n_train_rows: int = 0
    sampled: bool = False
    notes: tuple[str, ...] = ()
    versions: dict[str, str] = field(default_factory=dict)
    class_counts: ClassCounts = ()  # rows per class in the whole table (classification)
    fitted: Any = None  # the fitted pipeline, when this process holds it
    # Reads the fitted pipeline when first needed (a run restored from a project keeps it on disk).
    load_fitted: Callable[[], Any] | None = None

    @property
    def pipeline(self) -> Any:
        """The fitted pipeline (read from the project on first use), or None for a failed run."""
        if self.fitted is not None or self.load_fitted is None:
            return self.fitted
        return self.load_fitted()

    @property
    def has_model(self) -> bool:
        """Whether the run has a fitted pipeline, without reading it from disk."""
        return self.fitted is not None or self.load_fitted is not None

    @property
    def ok(self) -> bool:
        return self.status is RunStatus.OK

    @property
    def default_metric(self) -> str:
        """The score runs on this data are ranked by unless the user chooses one."""
        return default_metric(self.task, self.class_counts)

    @property
    def label(self) -> str:
        """The model's name, with the settings that differ from its defaults."""
        defaults = get_model(self.task, self.model_key).defaults()
        changed = [f"{k}={v}" for k, v in self.params.items() if defaults.get(k) != v]
        return f"{self.model_name} ({', '.join(changed)})" if changed else self.model_name

    def summary(self) -> dict[str, Any]:
        """JSON-safe facts about the run (no arrays, no pipeline)."""
        return {
            "id": self.id,
            "model": self.model_key,
            "label": self.label,
            "status": self.status.value,
            "message": self.message,
            "warnings": list(self.warnings),
            "params": self.params,
            "seed": self.seed,
            "cv_mean": self.cv_mean,
            "cv_std": self.cv_std,
            "fold_scores": {k: list(v) for k, v in self.fold_scores.items()},
            "holdout": self.holdout,
            "fit_seconds": self.fit_seconds,
            "predict_seconds": self.predict_seconds,
            "total_seconds": self.total_seconds,
            "n_train_rows": self.n_train_rows,
            "sampled": self.sampled,
            "notes": list(self.notes),
            "versions": self.versions,
            "dataset_hash": self.dataset_hash,
            "prep": self.prep.to_dict(),
            "split": self.split.to_dict(),
        }


# ---------- request checks and identity ----------
