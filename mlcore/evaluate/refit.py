"""Evaluations that refit a run's pipeline: pooled out-of-fold predictions, learning and validation curves.

They reuse the run's own split (same seed, same folds, same sample cap) and an unfitted copy of its
pipeline, so at full size they reproduce the run's fold scores exactly. They are slow on large data,
so the page starts them on demand in a background `Job` and keeps each result per run id and
settings in the session's `RefitAnalyses` (a `ResultStore` on the workspace): asking again costs nothing.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any, Literal

import numpy as np
import pandas as pd
from sklearn.base import clone

from mlcore.dataset import Dataset
from mlcore.evaluate.holdout import EvalError, ScoreKind, ThresholdAnalysis
from mlcore.metrics import METRICS, score
from mlcore.results import Entry, ResultStore
from mlcore.schema import Task
from mlcore.train.fit import FoldPredictions, predict, sample
from mlcore.train.models import HyperParam, get_model
from mlcore.train.runs import OutOfFold, Run
from mlcore.train.split import Split, make_split

Report = Callable[[dict[str, Any]], None]
Kind = Literal["oof", "learning", "validation"]
LEARNING_FRACTIONS = (0.1, 0.325, 0.55, 0.775, 1.0)


@dataclass(frozen=True)
class _Setup:
    split: Split
    X: pd.DataFrame
    y: np.ndarray
    cap: int | None
    classification: bool


def _setup(run: Run, dataset: Dataset) -> _Setup:
    """The run's data, folds and sample cap, checked against what the run was trained on."""
    if not run.ok or not run.has_model:
        raise EvalError(
            f"{run.label} did not finish, so it cannot be refitted.", "Choose a run that trained."
        )
    if (dataset.content_hash, dataset.target) != (run.dataset_hash, run.target):
        raise EvalError(
            f"The data {run.label} was trained on is no longer the loaded dataset.",
            f"Load '{run.dataset_name}' with target '{run.target}' again, or train again on this data.",
        )
    split = make_split(dataset, run.split, run.seed)
    if run.holdout_index is not None and not np.array_equal(
        dataset.frame.index.to_numpy()[split.test], run.holdout_index
    ):
        raise EvalError(
            "The split of this run cannot be reproduced on the loaded data.", "Train the model again."
        )
    if not split.folds:
        raise EvalError(
            f"{run.label} was trained without cross-validation, so there are no folds to refit on.",
            "Train with at least two folds.",
        )
    columns = list(getattr(run.pipeline, "feature_names_in_", dataset.features))
    cap = get_model(run.task, run.model_key).sample_cap if run.sampled else None
    y = dataset.frame[dataset.target].to_numpy()
    return _Setup(split, dataset.frame[columns], y, cap, run.task is Task.CLASSIFICATION)


def _fit(pipeline: Any, X: pd.DataFrame, y: np.ndarray) -> Any:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # convergence notes were shown when the run trained
        return pipeline.fit(X, y)


def _metric(run: Run, metric: str | None) -> str:
    metric = metric or run.default_metric
    if metric not in METRICS or METRICS[metric].task is not run.task:
        raise EvalError(f"'{metric}' is not a {run.task.value} score.", f"Use {run.default_metric}.")
    return metric


def _score(run: Run, pipeline: Any, X: pd.DataFrame, y: np.ndarray, metric: str) -> float:
    y_pred, proba, decision, _ = predict(pipeline, X)
    return score(run.task, y, y_pred, proba, decision, getattr(pipeline, "classes_", None))[metric]


def light(run: Run) -> Run:
    """The run with an unfitted copy of its pipeline: small to send to a worker process."""
    return replace(run, fitted=clone(run.pipeline), load_fitted=None) if run.has_model else run


# ---------- pooled out-of-fold predictions ----------


def out_of_fold(report: Report, run: Run, dataset: Dataset) -> OutOfFold:
    """The training rows' pooled out-of-fold predictions: those training kept, else (a run restored
    from an older project) the run's pipeline refitted on each fold exactly as training did."""
    s = _setup(run, dataset)
    if run.oof is not None:
        return run.oof
    pooled = FoldPredictions()
    for i, (fit_pos, val_pos) in enumerate(s.split.folds):
        fit_rows = s.split.train[sample(fit_pos, s.y[s.split.train], s.cap, run.seed, s.classification)]
        val_rows = s.split.train[val_pos]
        pipeline = _fit(clone(run.pipeline), s.X.iloc[fit_rows], s.y[fit_rows])
        y_pred, proba, decision, _ = predict(pipeline, s.X.iloc[val_rows])
        pooled.add(val_rows, getattr(pipeline, "classes_", None), y_pred, proba, decision)
        report({"progress": (i + 1) / len(s.split.folds), "message": f"fold {i + 1} of {len(s.split.folds)}"})
    return pooled.pooled(dataset.frame.index.to_numpy(), s.y)


def oof_threshold(oof: OutOfFold, run: Run, kind: ScoreKind) -> ThresholdAnalysis | None:
    """The threshold analysis of the training rows' pooled out-of-fold scores, of the same `kind` as the
    holdout's: a threshold chosen here leaves the holdout an honest check of it. None when the folds
    gave no such scores (a fold missed a class, or the model gives none)."""
    if len(run.classes or ()) != 2:
        return None
    negative, positive = run.classes
    if kind == "probability" and oof.proba is not None:
        score = oof.proba[:, 1]
    elif kind == "decision" and oof.decision is not None:
        score = oof.decision
    else:
        return None
    return ThresholdAnalysis(oof.y_true, score, positive, negative, kind)


# ---------- learning curve ----------


@dataclass(frozen=True)
class ScoreGrid:
    """Train and validation scores: one row per setting (a size or a value), one column per fold."""

    metric: str
    train: np.ndarray
    validation: np.ndarray

    @staticmethod
    def _stat(values: np.ndarray, stat: Callable[..., np.ndarray]) -> np.ndarray:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # a setting where every fold failed
            return stat(values, axis=1)

    @property
    def train_mean(self) -> np.ndarray:
        return self._stat(self.train, np.nanmean)

    @property
    def train_std(self) -> np.ndarray:
        return self._stat(self.train, np.nanstd)

    @property
    def validation_mean(self) -> np.ndarray:
        return self._stat(self.validation, np.nanmean)

    @property
    def validation_std(self) -> np.ndarray:
        return self._stat(self.validation, np.nanstd)


@dataclass(frozen=True)
class LearningCurve(ScoreGrid):
    sizes: tuple[int, ...] = ()  # training rows per fold at each step


def learning_curve(
    report: Report,
    run: Run,
    dataset: Dataset,
    metric: str | None = None,
    fractions: tuple[float, ...] = LEARNING_FRACTIONS,
) -> LearningCurve:
    """Train and validation score against the number of training rows, on the run's folds.

    Each smaller training set is a stratified sample of the fold's training rows, seeded with the
    run's seed; at the full size the validation scores are the run's own fold scores.
    """
    metric = _metric(run, metric)
    if not fractions or any(not 0 < f <= 1 for f in fractions):
        raise EvalError("Training sizes must be shares between 0 and 1.", "For example 0.1, 0.5 and 1.")
    s = _setup(run, dataset)
    n_folds, steps = len(s.split.folds), len(fractions) * len(s.split.folds)
    train = np.full((len(fractions), n_folds), np.nan)
    valid = np.full((len(fractions), n_folds), np.nan)
    sizes = np.zeros(len(fractions), dtype=int)
    for j, (fit_pos, val_pos) in enumerate(s.split.folds):
        fit_rows = s.split.train[sample(fit_pos, s.y[s.split.train], s.cap, run.seed, s.classification)]
        val_rows = s.split.train[val_pos]
        for i, fraction in enumerate(fractions):
            n = max(2, round(fraction * len(fit_rows)))
            rows = fit_rows[sample(np.arange(len(fit_rows)), s.y[fit_rows], n, run.seed, s.classification)]
            sizes[i] = max(sizes[i], len(rows))
            try:
                pipeline = _fit(clone(run.pipeline), s.X.iloc[rows], s.y[rows])
                train[i, j] = _score(run, pipeline, s.X.iloc[rows], s.y[rows], metric)
                valid[i, j] = _score(run, pipeline, s.X.iloc[val_rows], s.y[val_rows], metric)
            except Exception:  # e.g. too few rows of a class at the smallest size: a gap in the curve
                pass
            done = j * len(fractions) + i + 1
            report({"progress": done / steps, "message": f"fold {j + 1}, {len(rows):,} training rows"})
    return LearningCurve(metric, train, valid, tuple(int(n) for n in sizes))


# ---------- validation curve ----------


@dataclass(frozen=True)
class ValidationCurve(ScoreGrid):
    param: str = ""
    label: str = ""
    values: tuple[Any, ...] = ()
    current: Any = None
    log: bool = False
    value_labels: tuple[str, ...] = ()  # how each value reads ("no limit" for None)


def param_values(run: Run, name: str, points: int = 7) -> tuple[Any, ...]:
    """A default grid for one hyperparameter: its choices, or numbers around the run's value."""
    param = get_model(run.task, run.model_key).param(name)
    current = run.params.get(name, param.default)
    if param.kind == "bool":
        return (False, True)
    if param.kind == "choice":
        return tuple(param.choices)
    values = _numeric_grid(param, current, points)
    if param.none_label is not None:
        values = (*values, None)
    return values


def _numeric_grid(param: HyperParam, current: Any, points: int) -> tuple[Any, ...]:
    low = param.low if param.low is not None else 0.0
    high = param.high if param.high is not None else max(10 * (current or 1), low + 1)
    if param.log:
        centre = current if current is not None and current > 0 else np.sqrt(max(low, 1e-12) * high)
        grid = np.clip(centre * np.logspace(-1, 1, points), max(low, 1e-12), high)
    elif param.kind == "int" and high / max(low, 1) >= 20:
        grid = np.geomspace(max(low, 1), high, points)
    else:
        grid = np.linspace(low, high, points)
    if current is not None:
        grid = np.append(grid, current)
    if param.kind == "int":
        return tuple(sorted({round(float(v)) for v in grid}))
    return tuple(sorted({float(f"{v:.4g}") for v in grid}))


def validation_curve(
    report: Report,
    run: Run,
    dataset: Dataset,
    param: str,
    values: tuple[Any, ...] | None = None,
    metric: str | None = None,
) -> ValidationCurve:
    """Train and validation score on the run's folds for each value of one hyperparameter,
    every other setting (preprocessing, seed, other parameters) as in the run."""
    metric = _metric(run, metric)
    spec = get_model(run.task, run.model_key)
    hyper = spec.param(param)
    values = tuple(values) if values else param_values(run, param)
    balanced = run.prep.imbalance == "class_weight"
    estimators = [spec.build({**run.params, param: v}, run.seed, balanced) for v in values]  # checks values
    s = _setup(run, dataset)
    n_folds, steps = len(s.split.folds), len(values) * len(s.split.folds)
    train = np.full((len(values), n_folds), np.nan)
    valid = np.full((len(values), n_folds), np.nan)
    for j, (fit_pos, val_pos) in enumerate(s.split.folds):
        fit_rows = s.split.train[sample(fit_pos, s.y[s.split.train], s.cap, run.seed, s.classification)]
        val_rows = s.split.train[val_pos]
        for i, estimator in enumerate(estimators):
            try:
                pipeline = _fit(
                    clone(run.pipeline).set_params(model=clone(estimator)), s.X.iloc[fit_rows], s.y[fit_rows]
                )
                train[i, j] = _score(run, pipeline, s.X.iloc[fit_rows], s.y[fit_rows], metric)
                valid[i, j] = _score(run, pipeline, s.X.iloc[val_rows], s.y[val_rows], metric)
            except Exception:  # a value the model cannot train with: a gap in the curve
                pass
            done = j * len(values) + i + 1
            report({"progress": done / steps, "message": f"fold {j + 1}, {hyper.label} = {values[i]}"})
    current = run.params.get(param, hyper.default)
    labels = tuple(
        hyper.none_label or "none" if v is None else f"{v:g}" if isinstance(v, float) else str(v)
        for v in values
    )
    return ValidationCurve(metric, train, valid, param, hyper.label, values, current, hyper.log, labels)


# ---------- the per-session results and running jobs ----------

_FUNCTIONS: dict[str, Callable[..., Any]] = {
    "oof": out_of_fold,
    "learning": learning_curve,
    "validation": validation_curve,
}


class RefitAnalyses:
    """One session's refit results by (kind, run id, settings), and the jobs computing some."""

    def __init__(self, max_results: int = 64) -> None:
        self.results: ResultStore[Any] = ResultStore(max_entries=max_results)

    @staticmethod
    def key(kind: Kind, run_id: str, **settings: Any) -> tuple:
        return (kind, run_id, tuple(sorted(settings.items())))

    def start(self, kind: Kind, run: Run, dataset: Dataset, **settings: Any) -> tuple:
        """Start computing unless the result is known or already being computed; returns its key."""
        key = self.key(kind, run.id, **settings)
        self.results.start(key, _FUNCTIONS[kind], light(run), dataset, **settings)
        return key

    def compute(self, kind: Kind, run: Run, dataset: Dataset, **settings: Any) -> Any:
        """Compute in this process (command line, tests) and keep the result like a finished job."""
        return self.results.get_or_build(
            self.key(kind, run.id, **settings),
            lambda: _FUNCTIONS[kind](lambda event: None, run, dataset, **settings),
        )

    def poll(self, key: tuple) -> Entry[Any]:
        return self.results.poll(key)

    def stop(self, key: tuple) -> None:
        self.results.stop(key)

    def forget(self, run_ids: set[str]) -> None:
        """Drop these runs' results and stop their jobs."""
        self.results.forget(lambda key: key[1] in run_ids)

    @property
    def running(self) -> list[tuple]:
        return self.results.running


@dataclass
class EvaluationState:
    """What the Evaluate page keeps across page switches: the chosen runs, each binary run's
    threshold, and the refit analyses (results and running jobs)."""

    selected: tuple[str, ...] | None = None  # run ids; None: the top of the leaderboard
    thresholds: dict[str, float] = field(default_factory=dict)
    analyses: RefitAnalyses = field(default_factory=RefitAnalyses)
