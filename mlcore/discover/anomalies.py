"""Rows unlike the others: scored by Isolation Forest or Local Outlier Factor on the prepared matrix,
the most anomalous listed with the values that make them so, in the original column names.

A value's *surprise* is on one scale for every column: for a number, its distance from the column's
median in robust standard deviations (1.4826 × the median absolute deviation, which one extreme value
cannot inflate); for a category, the standard-normal distance whose two tails are as rare as its
level (a level held by 0.3% of rows: 3). Medians, spreads and level shares come from every row.
Sentences are Markdown: column names are code spans, levels escaped text.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from mlcore.dataset import Dataset
from mlcore.discover.algorithms import detector
from mlcore.discover.budget import BUDGET, DiscoverBudget
from mlcore.discover.clustering import fitting_note, fitting_rows
from mlcore.discover.columns import LEVELLED, MISSING, NUMERIC, as_levels, as_numbers, value_text
from mlcore.discover.errors import DiscoverError
from mlcore.discover.prepared import Prepared
from mlcore.formatting import number, percent
from mlcore.markup import markdown_code, markdown_text

UNUSUAL = 2.0  # a surprise worth naming: a number 2 robust sd from the median, a level held by 4.6% of rows
MAX_VALUES = 3  # unusual values named per row
MAD_TO_SD = 1.4826  # the median absolute deviation of a normal distribution is 0.6745 of its sd
IQR_TO_SD = 1.349


@dataclass(frozen=True)
class UnusualValue:
    """One value of an anomalous row and how surprising it is."""

    column: str
    value: str  # as written in the sentence
    surprise: float  # robust sd from the median (numbers) or the normal distance of a level as rare
    words: str  # "`income` = 250,000, 8.3 robust sd above the median (52,000)"


@dataclass(frozen=True)
class AnomalousRow:
    position: int  # in the dataset's frame
    row: int  # as a spreadsheet user counts: 1 for the first row of data
    score: float  # higher is more anomalous
    unusual: tuple[UnusualValue, ...]  # most surprising first, every described column
    sentence: str


@dataclass(frozen=True, eq=False)
class Anomalies:
    """Every scored row's anomaly score and the most anomalous rows, explained."""

    method: str  # the key of `algorithms.DETECTORS`
    scores: np.ndarray  # per scored row, higher is more anomalous
    rows: np.ndarray  # the position of each scored row in the dataset
    top: tuple[AnomalousRow, ...]
    score_name: str  # what the score is, for a chart's axis
    note: str = ""


def find_anomalies(
    dataset: Dataset,
    prepared: Prepared,
    key: str = "isolation_forest",
    params: Mapping[str, Any] | None = None,
    top: int = 10,
    seed: int = 0,
    budget: DiscoverBudget = BUDGET,
) -> Anomalies:
    """Score the prepared rows of `dataset` (a stated sample for LOF) and explain the `top` highest."""
    if top < 1:
        raise DiscoverError("List at least one anomalous row.", "Ask for the top 10, say.")
    algorithm = detector(key)
    values = algorithm.resolve(params)
    rows = fitting_rows(algorithm, prepared.n_rows, seed, budget)
    rows = np.arange(prepared.n_rows) if rows is None else rows
    if key == "lof" and values["n_neighbors"] >= len(rows):
        raise DiscoverError(
            f"Local Outlier Factor compares each row with {values['n_neighbors']} neighbours, and there are "
            f"only {len(rows):,} rows.",
            f"Compare with fewer neighbours (at most {len(rows) - 1:,}).",
        )
    estimator = algorithm.build(values, seed, prepared.n_rows, budget).fit(prepared.matrix[rows])
    if key == "lof":
        scores, score_name = -estimator.negative_outlier_factor_, "local outlier factor"
    else:
        scores, score_name = -estimator.score_samples(prepared.matrix[rows]), "isolation score"
    order = np.argsort(-scores, kind="stable")[:top]
    explain = _Explainer(dataset)
    listed = tuple(explain.row(int(rows[i]), float(scores[i])) for i in order)
    note = fitting_note(algorithm, prepared.n_rows, None if len(rows) == prepared.n_rows else rows, budget)
    return Anomalies(key, scores, rows, listed, score_name, note)


class _Explainer:
    """Every feature's median and robust spread, or level shares, from every row, to judge one row by."""

    def __init__(self, dataset: Dataset) -> None:
        self.frame = dataset.frame
        self.kinds = {n: dataset.column(n).ctype for n in dataset.features}
        self.centres: dict[str, tuple[float, float]] = {}
        self.shares: dict[str, pd.Series] = {}
        for name, kind in self.kinds.items():
            if kind in NUMERIC:
                self.centres[name] = _centre(as_numbers(self.frame[name], kind))
            elif kind in LEVELLED:
                self.shares[name] = as_levels(self.frame[name]).value_counts(normalize=True)

    def row(self, position: int, score: float) -> AnomalousRow:
        values = [v for name in self.kinds if (v := self._value(name, position)) is not None]
        values.sort(key=lambda v: -v.surprise)
        said = [v.words for v in values[:MAX_VALUES] if v.surprise >= UNUSUAL]
        body = "; ".join(said) if said else "no single value stands out: it is the combination that is rare"
        sentence = f"Row {position + 1:,} (score {number(score, 3)}): {body}."
        return AnomalousRow(position, position + 1, score, tuple(values), sentence)

    def _value(self, name: str, position: int) -> UnusualValue | None:
        cell = self.frame[name].iloc[position : position + 1]
        if name in self.shares:
            level = str(as_levels(cell).iloc[0])
            share = float(self.shares[name].get(level, 0.0))
            what = "missing" if level == MISSING else f"= {markdown_text(level)}"
            words = f"{markdown_code(name)} {what}, as in only {percent(share)} of rows"
            return UnusualValue(name, level, float(stats.norm.isf(share / 2)), words)
        if name not in self.centres:
            return None  # free text
        kind = self.kinds[name]
        value = float(as_numbers(cell, kind).iloc[0])
        median, spread = self.centres[name]
        if np.isnan(value) or not spread > 0:
            return None
        surprise = abs(value - median) / spread
        side = "above" if value > median else "below"
        words = (
            f"{markdown_code(name)} = {value_text(value, kind)}, {number(surprise, 2)} robust sd {side} the "
            f"median ({value_text(median, kind)})"
        )
        return UnusualValue(name, value_text(value, kind), surprise, words)


def _centre(values: pd.Series) -> tuple[float, float]:
    """The median and a robust standard deviation: from the MAD, else the IQR, else the plain sd."""
    present = values.dropna().to_numpy()
    if not len(present):
        return np.nan, 0.0
    median = float(np.median(present))
    q1, q3 = np.quantile(present, [0.25, 0.75])
    for spread in (MAD_TO_SD * np.median(np.abs(present - median)), (q3 - q1) / IQR_TO_SD):
        if spread > 0:
            return median, float(spread)
    return median, float(present.std())
