"""Training one model: cross-validation on the training part, a final fit, holdout scores, a `Run`.

`train_model` never raises for a model's own failure: the run comes back marked failed with a plain
message, so one broken model cannot spoil a comparison. Problems with the data or settings are
raised by `validate_request` before any training starts.
"""

from __future__ import annotations

import hashlib
import json
import platform
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from importlib import metadata
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import clone
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from threadpoolctl import threadpool_limits

from mlcore.compute.cluster import inside_cluster_task
from mlcore.metrics import score, target_counts
from mlcore.schema import Task
from mlcore.train.errors import TrainInputError, explain_failure
from mlcore.train.models import get_model
from mlcore.train.pipeline_description import oversampling_note
from mlcore.train.prep import build_pipeline
from mlcore.train.runs import ModelChoice, OutOfFold, Run, RunStatus, TrainRequest
from mlcore.train.split import Split, make_split

OnFold = Callable[[int, int], None]


def validate_request(request: TrainRequest) -> Split:
    """Raise every input problem now (split, preprocessing, model names and parameters)."""
    dataset = request.dataset
    if dataset.target is None or dataset.task is None:
        raise TrainInputError("Choose a target column before training.", "Pick the column to predict.")
    if not request.models:
        raise TrainInputError("Choose at least one model to train.", "Tick a model, or use 'compare all'.")
    if request.time_budget is not None and request.time_budget <= 0:
        raise TrainInputError("The time budget must be positive.", "Leave it empty for no limit.")
    split = make_split(dataset, request.split, request.seed)
    for choice in request.models:
        build_pipeline(dataset, request.prep, choice.key, choice.params, request.seed)
    return split


def run_id(request: TrainRequest, choice: ModelChoice) -> str:
    """The same data, schema and settings give the same id (and, by determinism, the same run)."""
    dataset = request.dataset
    spec = get_model(dataset.task, choice.key)
    identity = {
        "data": dataset.content_hash,
        "schema": [(c.name, c.ctype.value, c.role.value) for c in dataset.columns],
        "target": dataset.target,
        "task": dataset.task.value,
        "prep": request.prep.to_dict(),
        "split": request.split.to_dict(),
        "seed": request.seed,
        "model": choice.key,
        "params": spec.resolve(choice.params),
        "capped": choice.capped,
    }
    text = json.dumps(identity, sort_keys=True, default=str)
    return hashlib.blake2b(text.encode(), digest_size=6).hexdigest()


def library_versions() -> dict[str, str]:
    names = ("scikit-learn", "imbalanced-learn", "xgboost", "numpy", "pandas", "scipy")
    versions = {"python": platform.python_version()}
    for name in names:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return versions


def _base_run(request: TrainRequest, choice: ModelChoice, status: RunStatus, message: str = "") -> Run:
    dataset = request.dataset
    spec = get_model(dataset.task, choice.key)
    return Run(
        id=run_id(request, choice),
        dataset_hash=dataset.content_hash,
        dataset_name=dataset.name,
        task=dataset.task,
        target=dataset.target,
        prep=request.prep,
        split=request.split,
        seed=request.seed,
        model_key=choice.key,
        model_name=spec.name,
        params=spec.resolve(choice.params),
        status=status,
        message=message,
        versions=library_versions(),
        class_counts=target_counts(dataset),
    )


def failed_run(request: TrainRequest, choice: ModelChoice, status: RunStatus, message: str) -> Run:
    """A leaderboard row for a model that failed, ran out of time or was stopped."""
    return _base_run(request, choice, status, message)


# ---------- scoring ----------


def _continuous_scores(pipeline: Any, X: pd.DataFrame) -> tuple[np.ndarray | None, np.ndarray | None]:
    """(probabilities, decision values): whichever the model offers, for ROC AUC."""
    if hasattr(pipeline, "predict_proba"):
        try:
            return pipeline.predict_proba(X), None
        except AttributeError:  # e.g. an SVC without probability estimates
            pass
    if hasattr(pipeline, "decision_function"):
        return None, pipeline.decision_function(X)
    return None, None


# ---------- training ----------


def single_threaded() -> Any:
    """One thread for BLAS and OpenMP while training: results do not depend on the machine's cores,
    and parallelism comes from training models side by side (threads fighting over 2 shared cores
    made small fits several times slower)."""
    return threadpool_limits(1)


def sample(
    positions: np.ndarray, y: np.ndarray, cap: int | None, seed: int, classification: bool
) -> np.ndarray:
    """At most `cap` of these positions, stratified by class where possible, in their original order.

    Public because `eval_refit` draws the same training sample when it refits a run.
    """
    if cap is None or len(positions) <= cap:
        return positions
    try:
        kept, _ = train_test_split(
            positions, train_size=cap, random_state=seed, stratify=y[positions] if classification else None
        )
    except ValueError:  # a class too rare to stratify: a plain random sample
        kept = np.random.default_rng(seed).choice(positions, cap, replace=False)
    return np.sort(kept)


def _fit(pipeline: Any, X: pd.DataFrame, y: np.ndarray, found: list[str]) -> float:
    """Fit and return the seconds taken; convergence warnings are kept as plain notes."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ConvergenceWarning)
        start = time.perf_counter()
        pipeline.fit(X, y)
        seconds = time.perf_counter() - start
    for w in caught:
        if issubclass(w.category, ConvergenceWarning):
            text = (
                "did not fully converge (the optimiser stopped at its iteration limit); "
                "raising 'Maximum iterations' or scaling the numbers may help"
            )
            if text not in found:
                found.append(text)
    return seconds


def predict(pipeline: Any, X: pd.DataFrame) -> tuple[np.ndarray, np.ndarray | None, np.ndarray | None, float]:
    """Predictions and continuous scores from one pass where the labels follow from the scores.

    A classifier's `predict` is the most probable class (or the sign of a binary decision value), so
    deriving it from the scores halves the prediction work of k-NN, SVMs and forests. Public because
    `eval_refit` predicts the same way when it refits a run.
    """
    start = time.perf_counter()
    classes = getattr(pipeline, "classes_", None)
    proba, decision = _continuous_scores(pipeline, X) if classes is not None else (None, None)
    if proba is not None:
        y_pred = classes[np.argmax(proba, axis=1)]
    elif decision is not None and decision.ndim == 1:
        y_pred = classes[(decision > 0).astype(int)]
    else:
        y_pred = pipeline.predict(X)
    return y_pred, proba, decision, time.perf_counter() - start


class FoldPredictions:
    """Each fold's predictions for its validation rows, pooled into one `OutOfFold` at the end."""

    def __init__(self) -> None:
        self.classes: Any = None
        self._parts: list[tuple[np.ndarray, int, np.ndarray, np.ndarray | None, np.ndarray | None]] = []

    def add(
        self,
        rows: np.ndarray,
        fold_classes: Any,
        y_pred: np.ndarray,
        proba: np.ndarray | None,
        decision: np.ndarray | None,
    ) -> None:
        """One fold: the positions of its validation rows, its model's classes (None for a regressor)
        and what its model said about them."""
        if self.classes is not None and fold_classes is not None and list(fold_classes) != list(self.classes):
            proba = decision = None  # a fold missed a class: its scores cannot be pooled with the others
        self.classes = fold_classes if self.classes is None else self.classes
        one_score = decision if decision is not None and decision.ndim == 1 else None
        self._parts.append((rows, len(self._parts) + 1, y_pred, proba, one_score))

    def pooled(self, index: np.ndarray, y: np.ndarray) -> OutOfFold | None:
        """Every validation row once, named by its label in `index`; None when there were no folds."""
        if not self._parts:
            return None
        rows = np.concatenate([p[0] for p in self._parts])
        probas, decisions = [p[3] for p in self._parts], [p[4] for p in self._parts]
        return OutOfFold(
            index[rows],
            np.concatenate([np.full(len(p[0]), p[1]) for p in self._parts]),
            y[rows],
            np.concatenate([p[2] for p in self._parts]),
            None if any(p is None for p in probas) else np.vstack(probas),
            tuple(self.classes) if self.classes is not None else None,
            None if any(d is None for d in decisions) else np.concatenate(decisions),
        )


@dataclass
class CVResult:
    """Scores per fold and per metric, the validation rows' predictions, timings, and the
    convergence notes met on the way."""

    fold_scores: dict[str, list[float]] = field(default_factory=dict)
    fit_times: list[float] = field(default_factory=list)
    predict_times: list[float] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    predictions: FoldPredictions = field(default_factory=FoldPredictions)

    def mean(self, metric: str) -> float:
        return _nan_stat(np.nanmean, self.fold_scores.get(metric, []))

    def std(self, metric: str) -> float:
        return _nan_stat(np.nanstd, self.fold_scores.get(metric, []))


def cross_validate(
    request: TrainRequest,
    choice: ModelChoice,
    split: Split,
    on_fold: OnFold | None = None,
    spread: bool = False,
) -> CVResult:
    """Fit the whole pipeline on each fold's training rows and score its validation rows.

    Raises whatever the model raises; `on_fold(done, total)` is called after each fold and may raise
    to abandon the work (tuning uses that for its time budget). With `spread`, inside a task on a Dask
    cluster, the folds are tasks of their own (the same numbers: a fold's fit depends only on its
    rows and the seed); for work that leaves the cluster's threads idle otherwise (one model, a
    search), as it only slows down work that fills them.
    """
    dataset = request.dataset
    cap = get_model(dataset.task, choice.key).sample_cap if choice.capped else None
    classification = dataset.task is Task.CLASSIFICATION
    X = dataset.frame[dataset.features]
    y = dataset.frame[dataset.target].to_numpy()
    template = build_pipeline(dataset, request.prep, choice.key, choice.params, request.seed)
    result = CVResult()
    inputs = (template, X, y, split, cap, request.seed, classification, dataset.task)
    _cross_validate(inputs, len(split.folds), result, on_fold, spread)
    return result


def _cross_validate(
    inputs: tuple, count: int, result: CVResult, on_fold: OnFold | None, spread: bool
) -> None:
    """The `count` folds in turn here, or spread over the cluster (`cross_validate`); `inputs` are
    `fit_fold`'s arguments after the fold's number."""
    if spread and inside_cluster_task() and count > 1:
        from mlcore.compute.cluster_tasks import fan_out

        folds = fan_out(fit_fold, count, *inputs)
    else:
        folds = (fit_fold(i, *inputs) for i in range(count))
    for i, fold in enumerate(folds):
        result.fit_times.append(fold.fit_seconds)
        result.predict_times.append(fold.predict_seconds)
        result.warnings.extend(w for w in fold.warnings if w not in result.warnings)
        result.predictions.add(fold.rows, fold.classes, fold.y_pred, fold.proba, fold.decision)
        for name, value in fold.scores.items():
            result.fold_scores.setdefault(name, []).append(value)
        if on_fold:
            on_fold(i + 1, count + 1)


@dataclass
class FoldOutcome:
    """What one fold's fit gives: its validation rows, the model's predictions and scores for them,
    its timings and notes (not the fitted model, which may be large and is not kept)."""

    rows: np.ndarray
    classes: Any
    y_pred: np.ndarray
    proba: np.ndarray | None
    decision: np.ndarray | None
    scores: dict[str, float]
    fit_seconds: float
    predict_seconds: float
    warnings: list[str]


def fit_fold(
    i: int,
    template: Any,
    X: pd.DataFrame,
    y: np.ndarray,
    split: Split,
    cap: int | None,
    seed: int,
    classification: bool,
    task: Task,
) -> FoldOutcome:
    """Fit a copy of `template` on fold `i`'s training rows and score its validation rows."""
    fit_pos, val_pos = split.folds[i]
    fit_rows = split.train[sample(fit_pos, y[split.train], cap, seed, classification)]
    val_rows = split.train[val_pos]
    pipeline = clone(template)
    found: list[str] = []
    with single_threaded():
        fit_seconds = _fit(pipeline, X.iloc[fit_rows], y[fit_rows], found)
        y_pred, proba, decision, predict_seconds = predict(pipeline, X.iloc[val_rows])
    classes = getattr(pipeline, "classes_", None)
    scores = score(task, y[val_rows], y_pred, proba, decision, classes)
    return FoldOutcome(
        val_rows, classes, y_pred, proba, decision, scores, fit_seconds, predict_seconds, found
    )


def train_model(
    request: TrainRequest,
    choice: ModelChoice,
    split: Split | None = None,
    on_fold: OnFold | None = None,
    spread: bool = False,
) -> Run:
    """Cross-validate, refit on the whole training part, score the holdout: one `Run`."""
    started = time.perf_counter()
    dataset = request.dataset
    split = split or make_split(dataset, request.split, request.seed)
    spec = get_model(dataset.task, choice.key)
    cap = spec.sample_cap if choice.capped else None
    classification = dataset.task is Task.CLASSIFICATION
    X = dataset.frame[dataset.features]
    y = dataset.frame[dataset.target].to_numpy()
    base = _base_run(request, choice, RunStatus.OK)
    cv = CVResult()
    n_steps = len(split.folds) + 1
    try:
        cv = cross_validate(request, choice, split, on_fold, spread)
        train_rows = split.train[
            sample(np.arange(len(split.train)), y[split.train], cap, request.seed, classification)
        ]
        pipeline = build_pipeline(dataset, request.prep, choice.key, choice.params, request.seed)
        with single_threaded():
            final_fit = _fit(pipeline, X.iloc[train_rows], y[train_rows], cv.warnings)
        holdout, y_pred, proba, classes, holdout_predict = {}, None, None, None, float("nan")
        if len(split.test):
            with single_threaded():
                y_pred, proba, decision, holdout_predict = predict(pipeline, X.iloc[split.test])
            classes = getattr(pipeline, "classes_", None)
            holdout = score(dataset.task, y[split.test], y_pred, proba, decision, classes)
        if on_fold:
            on_fold(n_steps, n_steps)
    except Exception as exc:  # a model's failure is reported in its run, never raised
        return replace(
            base,
            status=RunStatus.FAILED,
            message=explain_failure(exc),
            warnings=tuple(cv.warnings),
            total_seconds=time.perf_counter() - started,
        )
    sampled = len(train_rows) < len(split.train)
    notes = (
        [f"trained on a sample of {len(train_rows):,} of {len(split.train):,} training rows"]
        if sampled
        else []
    )
    if weights_note := oversampling_note(dataset, request.prep, choice.key):
        notes.append(weights_note)
    return replace(
        base,
        warnings=tuple(cv.warnings),
        fold_scores={k: tuple(v) for k, v in cv.fold_scores.items()},
        cv_mean={k: cv.mean(k) for k in cv.fold_scores},
        cv_std={k: cv.std(k) for k in cv.fold_scores},
        holdout=holdout,
        holdout_index=dataset.frame.index.to_numpy()[split.test],
        y_true=y[split.test],
        y_pred=y_pred,
        proba=proba,
        classes=tuple(classes) if classes is not None else None,
        oof=cv.predictions.pooled(dataset.frame.index.to_numpy(), y),
        fit_seconds=float(np.mean(cv.fit_times)) if cv.fit_times else final_fit,
        predict_seconds=float(np.mean(cv.predict_times)) if cv.predict_times else holdout_predict,
        total_seconds=time.perf_counter() - started,
        n_train_rows=len(train_rows),
        sampled=sampled,
        notes=tuple(notes),
        fitted=pipeline,
    )


def _nan_stat(stat: Callable[[np.ndarray], Any], values: list[float]) -> float:
    """The statistic over the folds that have a value (NaN when none has)."""
    array = np.asarray(values, dtype=float)
    return float("nan") if np.isnan(array).all() else float(stat(array))


# ---------- leaderboard ----------
