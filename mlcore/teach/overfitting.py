"""The overfitting panel: one complexity knob per model, its fit at one value, and a sweep over all.

Each knob's values run from the simplest model to the most complex, so a slider moved right always
means "more freedom to fit the training rows". Scores come from one fixed stratified split per seed,
so a student who moves the slider back sees the same numbers again.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from pandas.api.types import is_bool_dtype, is_numeric_dtype
from sklearn.ensemble import RandomForestClassifier
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score
from sklearn.model_selection import train_test_split
from sklearn.neighbors import KNeighborsClassifier
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import PolynomialFeatures, StandardScaler
from sklearn.svm import SVC
from sklearn.tree import DecisionTreeClassifier

from mlcore.teach.errors import TeachError

FOREST_TREES = 100  # enough for a stable forest, few enough for a slider (n_jobs=1: the page's worker)
SVM_GAMMA = 2.0  # on standardised features: wiggly enough that a large C can chase single points
POLY_C = 1e4  # little regularisation, so the degree alone decides how flexible the boundary is
DROP = 0.01  # validation must fall by more than this below its best to count as overfitting


@dataclass(frozen=True)
class Knob:
    """A slider of the overfitting panel: which model, which setting, and the values offered."""

    key: str
    model: str
    label: str
    values: tuple
    default: Any
    help: str
    phrase: str = "{}"  # how a value reads in a sentence: "depth {}", "k = {}"


KNOBS: dict[str, Knob] = {
    knob.key: knob
    for knob in (
        Knob(
            "tree_depth",
            "Decision tree",
            "Maximum depth",
            tuple(range(1, 21)),
            4,
            "How many questions deep the tree may grow; deeper trees carve out single training rows "
            "and overfit.",
            "depth {}",
        ),
        Knob(
            "knn_k",
            "k nearest neighbours",
            "Neighbours (k)",
            (50, 40, 30, 25, 20, 15, 12, 10, 8, 6, 5, 4, 3, 2, 1),
            15,
            "How many nearby training rows vote on each prediction; fewer neighbours follow the noise "
            "and overfit.",
            "k = {}",
        ),
        Knob(
            "poly_degree",
            "Logistic regression on polynomial features",
            "Polynomial degree",
            tuple(range(1, 13)),
            3,
            "The highest power of the features the boundary may use; higher degrees bend it around "
            "single rows and overfit.",
            "degree {}",
        ),
        Knob(
            "svm_c",
            "SVM (RBF kernel)",
            "C (less regularisation →)",
            (0.01, 0.03, 0.1, 0.3, 1.0, 3.0, 10.0, 30.0, 100.0, 300.0, 1000.0),
            1.0,
            "How heavily each misclassified training row is penalised; a large C bends the boundary "
            "around every row and overfits.",
            "C = {:g}",
        ),
        Knob(
            "forest_depth",
            "Random forest",
            "Maximum depth",
            tuple(range(1, 21)),
            4,
            "How deep each of the forest's trees may grow; deeper trees memorise the training rows "
            "and overfit, though averaging many trees softens it.",
            "depth {}",
        ),
    )
}


def build(knob: Knob, value: Any, seed: int) -> Pipeline:
    """An unfitted pipeline for the knob at `value`: scaling where distances matter, then the model."""
    if knob.key == "tree_depth":
        return Pipeline([("model", DecisionTreeClassifier(max_depth=int(value), random_state=seed))])
    if knob.key == "knn_k":
        return Pipeline(
            [("scale", StandardScaler()), ("model", KNeighborsClassifier(n_neighbors=int(value)))]
        )
    if knob.key == "poly_degree":
        return Pipeline(
            [
                ("scale", StandardScaler()),  # keeps high powers in range
                ("poly", PolynomialFeatures(degree=int(value), include_bias=False)),
                ("rescale", StandardScaler()),
                ("model", LogisticRegression(C=POLY_C, max_iter=2000, random_state=seed)),
            ]
        )
    if knob.key == "svm_c":
        svm = SVC(kernel="rbf", C=float(value), gamma=SVM_GAMMA, random_state=seed)  # no probabilities
        return Pipeline([("scale", StandardScaler()), ("model", svm)])
    if knob.key == "forest_depth":
        forest = RandomForestClassifier(
            n_estimators=FOREST_TREES, max_depth=int(value), random_state=seed, n_jobs=1
        )
        return Pipeline([("model", forest)])
    raise TeachError(f"There is no knob '{knob.key}'.", f"Pick one of: {', '.join(KNOBS)}.")


@dataclass(frozen=True, eq=False)
class FitScores:
    """One knob value fitted on the training rows, with its accuracy there and on the validation rows."""

    value: Any
    train: float
    validation: float
    pipeline: Any
    note: str = ""  # what was changed to make the fit possible (k capped at the training rows)


def _xy(frame: pd.DataFrame, target: str) -> tuple[pd.DataFrame, pd.Series]:
    if target not in frame.columns:
        raise TeachError(f"There is no column '{target}'.", "Pick the column the model should predict.")
    features = frame.drop(columns=[target])
    if features.shape[1] == 0:
        raise TeachError("There are no feature columns besides the target.", "Use a table with features.")
    wrong = [c for c in features.columns if not is_numeric_dtype(features[c]) or is_bool_dtype(features[c])]
    if wrong:
        raise TeachError(
            f"The overfitting panel needs number features; {', '.join(map(str, wrong))} are not.",
            "Use a generated dataset, or drop the other columns.",
        )
    if features.isna().any().any() or frame[target].isna().any():
        raise TeachError("Some values are missing.", "Use a generated dataset, or drop the rows with gaps.")
    return features, frame[target]


def split_rows(
    frame: pd.DataFrame, target: str, seed: int, validation: float = 0.3
) -> tuple[np.ndarray, np.ndarray]:
    """Positions of the training and validation rows: stratified by class, the same for the same seed."""
    y = frame[target].to_numpy()
    counts = pd.Series(y).value_counts()
    if len(counts) < 2:
        raise TeachError(
            "The target has a single class, so there is nothing to tell apart.",
            "Pick a classification target.",
        )
    if counts.min() < 2:
        raise TeachError(
            "A class has a single row, so it cannot appear in both the training and the validation rows.",
            "Use more rows.",
        )
    try:
        train, valid = train_test_split(
            np.arange(len(y)), test_size=validation, random_state=seed, stratify=y
        )
    except ValueError as error:  # too few rows for a validation share holding every class
        raise TeachError(
            "There are too few rows to keep some apart for validation.", "Use more rows."
        ) from error
    return np.sort(train), np.sort(valid)


def _fit(
    features: pd.DataFrame,
    y: pd.Series,
    rows: tuple[np.ndarray, np.ndarray],
    knob: Knob,
    value: Any,
    seed: int,
) -> FitScores:
    train, valid = rows
    pipeline = build(knob, value, seed)
    note = ""
    if knob.key == "knn_k" and int(value) > len(train):
        pipeline.set_params(model__n_neighbors=len(train))
        note = f"Only {len(train)} training rows, so k is capped at {len(train)}."
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)  # a high degree need not converge to overfit
        pipeline.fit(features.iloc[train], y.iloc[train])
    return FitScores(
        value=value,
        train=float(accuracy_score(y.iloc[train], pipeline.predict(features.iloc[train]))),
        validation=float(accuracy_score(y.iloc[valid], pipeline.predict(features.iloc[valid]))),
        pipeline=pipeline,
        note=note,
    )


def fit_at(frame: pd.DataFrame, target: str, knob: Knob, value: Any, seed: int) -> FitScores:
    """Fit the knob's model at `value` on the training rows of the seed's split and score both sides."""
    features, y = _xy(frame, target)
    return _fit(features, y, split_rows(frame, target, seed), knob, value, seed)


@dataclass(frozen=True)
class Sweep:
    """Training and validation accuracy at every value of a knob, and what they say."""

    knob: str
    values: tuple
    train: tuple[float, ...]
    validation: tuple[float, ...]
    best: Any
    overfit_from: Any | None
    sentence: str


def _overfit_index(train: tuple[float, ...], validation: tuple[float, ...], best: int) -> int | None:
    """The first value past the best from which validation stays below its best, clearly below at that
    value, while training accuracy rose past its level at the best or stays at its maximum."""
    for i in range(best + 1, len(validation)):
        below = all(v < validation[best] for v in validation[i:])
        fits = train[i] > train[best] or train[i] == max(train)
        if below and validation[i] <= validation[best] - DROP and fits:
            return i
    return None


def _sentence(
    knob: Knob, values: tuple, train: tuple, validation: tuple, best: int, overfit: int | None
) -> str:
    at = knob.phrase.format
    start = f"Validation accuracy is best at {at(values[best])} ({validation[best]:.2f})"
    if overfit is not None:
        fits = "better" if train[overfit] > train[best] else "as well as ever"
        return (
            f"{start}; from {at(values[overfit])} the model fits the training rows {fits} "
            f"({train[overfit]:.2f}) but new rows worse ({validation[overfit]:.2f}): overfitting."
        )
    if best == len(values) - 1:
        return f"{start}, the most complex setting offered: no overfitting within this range."
    return f"{start}; more complex settings do not make it clearly worse on these rows."


def sweep(frame: pd.DataFrame, target: str, knob: Knob, seed: int) -> Sweep:
    """Fit every value of the knob on the same split; the best value and where overfitting begins."""
    features, y = _xy(frame, target)
    rows = split_rows(frame, target, seed)
    scores = [_fit(features, y, rows, knob, value, seed) for value in knob.values]
    train = tuple(s.train for s in scores)
    validation = tuple(s.validation for s in scores)
    best = int(np.argmax(validation))  # the first maximum: the simplest value on ties
    overfit = _overfit_index(train, validation, best)
    return Sweep(
        knob=knob.key,
        values=knob.values,
        train=train,
        validation=validation,
        best=knob.values[best],
        overfit_from=None if overfit is None else knob.values[overfit],
        sentence=_sentence(knob, knob.values, train, validation, best, overfit),
    )
