"""What each cluster is, in the original column names, from every row.

A number is compared by its standardised mean difference (the cluster's mean minus the table's, in the
table's standard deviations); a category level by the same difference of its 0/1 indicator, so "78% vs
25% overall" and "+1.2 sd" rank on one scale. The strongest differences of half a standard deviation
or more make each cluster's sentence; all of them make the heatmap. Noise rows (label −1) are
described apart, never as a cluster. Sentences are Markdown: column names are code spans, levels
escaped text.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from mlcore.dataset import Dataset
from mlcore.discover.clustering import NOISE, checked_labels, cluster_name
from mlcore.discover.columns import LEVELLED, NUMERIC, as_levels, as_numbers, value_text
from mlcore.formatting import number, percent, signed
from mlcore.markup import markdown_code, markdown_text
from mlcore.schema import ColumnType

NOTABLE = 0.5  # a difference of half a standard deviation is worth a word (Cohen's "medium")
MAX_TRAITS = 3  # differences named per sentence
MAX_LEVELS = 10  # the most common levels of a category shown in the heatmap and ranked
MEDIAN_RATIO = 2.0  # "median 3× the overall" from twice (or half) the table's median on


@dataclass(frozen=True)
class Trait:
    """How one cluster differs from the whole table on a number or on one level of a category."""

    column: str
    kind: ColumnType
    level: str | None  # the category level; None for a number
    cluster: float  # the cluster's mean (numbers, timestamps in ns) or share of rows (levels)
    overall: float  # the same over every row
    effect: float  # (cluster − overall) / the table's standard deviation (of the 0/1 indicator, for levels)
    median_ratio: float = math.nan  # numbers: the cluster's median / the table's, when both are positive

    @property
    def label(self) -> str:
        """'age', or 'region = north' for a level."""
        return self.column if self.level is None else f"{self.column} = {self.level}"

    @property
    def notable(self) -> bool:
        """Worth a word: half a standard deviation or more, and for a level only when it is more
        common (its absence says little: the cluster is then mostly other levels, named by their own)."""
        return (self.effect if self.level is not None else abs(self.effect)) >= NOTABLE

    @property
    def gist(self) -> str:
        """In plain text, for a table cell: 'higher age', 'earlier joined', 'region = north'."""
        return self.label if self.level is not None else f"{self.direction} {self.column}"

    @property
    def direction(self) -> str:
        """A number's side of the table's mean: 'higher' or 'lower' ('later', 'earlier' for dates)."""
        more, less = ("later", "earlier") if self.kind is ColumnType.DATETIME else ("higher", "lower")
        return more if self.effect > 0 else less


@dataclass(frozen=True)
class ClusterProfile:
    """One cluster (or the noise): its size and its differences from the table, strongest first."""

    label: int
    name: str  # "cluster 2", "noise"
    size: int
    share: float
    traits: tuple[Trait, ...]
    sentence: str

    @property
    def standouts(self) -> list[Trait]:
        """The notable traits named in its sentence, strongest first."""
        return [t for t in self.traits if t.notable][:MAX_TRAITS]


@dataclass(frozen=True, eq=False)
class ClusterProfiles:
    """Every cluster's profile, the noise's apart, and the heatmap of their differences."""

    clusters: tuple[ClusterProfile, ...]
    noise: ClusterProfile | None
    heatmap: pd.DataFrame  # cluster names × trait labels: standardised differences
    cells: pd.DataFrame  # the same shape: "mean 41 vs 35 overall", "78% vs 25% overall"
    note: str = ""


def describe_clusters(
    dataset: Dataset, labels: np.ndarray, columns: Sequence[str] | None = None
) -> ClusterProfiles:
    """Profile every cluster of `labels` (one per row) on `columns` (the features and the target by
    default); free text and identifiers are left out and the note says so."""
    labels = checked_labels(labels, dataset.n_rows)
    default = [dataset.target] if dataset.target else []
    names = list(columns) if columns is not None else dataset.features + default
    kinds = {n: dataset.column(n).ctype for n in names}
    used = [n for n in names if kinds[n] in NUMERIC + LEVELLED]
    groups = pd.Series(labels)
    traits: list[tuple[int, Trait]] = []
    for n in used:
        measure = _numeric_traits if kinds[n] in NUMERIC else _level_traits
        traits += measure(n, kinds[n], dataset.frame[n], groups)
    by_label: dict[int, list[Trait]] = defaultdict(list)
    for label, trait in traits:
        by_label[int(label)].append(trait)
    sizes = groups.value_counts()
    profiles = {
        label: _profile(label, int(sizes[label]), len(labels), by_label[label])
        for label in sorted(int(v) for v in sizes.index)
    }
    clusters = tuple(p for label, p in profiles.items() if label != NOISE)
    skipped = [n for n in names if n not in used]
    note = f"Not described (free text or identifiers): {', '.join(skipped)}." if skipped else ""
    heatmap, cells = _tables([(at, t) for at, t in traits if at != NOISE])
    return ClusterProfiles(clusters, profiles.get(NOISE), heatmap, cells, note)


def _numeric_traits(
    name: str, kind: ColumnType, column: pd.Series, groups: pd.Series
) -> list[tuple[int, Trait]]:
    """A number's trait in each cluster."""
    values = as_numbers(column, kind)
    overall_sd = float(values.std())
    mean, median = float(values.mean()), float(values.median())
    grouped = values.groupby(groups.to_numpy())
    out = []
    for (label, cluster_mean), cluster_median in zip(grouped.mean().items(), grouped.median(), strict=True):
        effect = (cluster_mean - mean) / overall_sd if overall_sd > 0 else 0.0
        ratio = (
            cluster_median / median
            if kind is ColumnType.NUMERIC and median > 0 and cluster_median > 0
            else math.nan
        )
        out.append((label, Trait(name, kind, None, float(cluster_mean), mean, _finite(effect), float(ratio))))
    return out


def _level_traits(
    name: str, kind: ColumnType, column: pd.Series, groups: pd.Series
) -> list[tuple[int, Trait]]:
    """Each of the most common levels' share of every cluster against its share of the table."""
    levels = as_levels(column).to_numpy()
    counts = pd.crosstab(groups.to_numpy(), levels)
    overall = counts.sum() / counts.to_numpy().sum()
    top = overall.sort_values(ascending=False, kind="stable").index[:MAX_LEVELS]
    shares = counts[top].div(counts.sum(axis=1), axis=0)
    out = []
    for level in top:
        p = float(overall[level])
        spread = math.sqrt(p * (1 - p))
        for label, share in shares[level].items():
            effect = (share - p) / spread if spread > 0 else 0.0
            out.append((label, Trait(name, kind, str(level), float(share), p, float(effect))))
    return out


def _finite(value: float) -> float:
    return float(value) if math.isfinite(value) else 0.0


def _profile(label: int, size: int, n_rows: int, traits: list[Trait]) -> ClusterProfile:
    ranked = tuple(sorted(traits, key=lambda t: -abs(t.effect)))
    name = cluster_name(label)
    share = size / n_rows
    head = f"{name} ({_share(share)} of rows{', in no cluster' if label == NOISE else ''})"
    profile = ClusterProfile(label, name, size, share, ranked, "")
    words = [_trait_words(t) for t in profile.standouts]
    body = ", ".join(words) if words else "close to the table as a whole on every column"
    return replace(profile, sentence=f"{head}: {body}.")


def _trait_words(trait: Trait) -> str:
    """'lower `age` (−1.2 sd)', 'mostly `region` = north (78% vs 25% overall)'."""
    column = markdown_code(trait.column)
    if trait.level is not None:
        often = "mostly" if trait.cluster >= 0.5 else "more often"
        return f"{often} {column} = {markdown_text(trait.level)} ({_cell(trait)})"
    words = f"{trait.direction} {column} ({signed(trait.effect, 2)} sd"
    ratio = trait.median_ratio
    if ratio >= MEDIAN_RATIO or ratio <= 1 / MEDIAN_RATIO:
        words += f", median {number(ratio, 2)}× the overall"
    return words + ")"


def _share(share: float) -> str:
    return percent(share, 0 if 0.01 <= share <= 0.99 or share in (0, 1) else 1)


def _tables(traits: list[tuple[int, Trait]]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The heatmap's values and its cells' words: clusters down, traits across in column order."""
    effects: dict[str, dict[str, float]] = {}
    cells: dict[str, dict[str, str]] = {}
    for label, t in traits:
        effects.setdefault(t.label, {})[cluster_name(label)] = t.effect
        cells.setdefault(t.label, {})[cluster_name(label)] = _cell(t)
    return pd.DataFrame(effects), pd.DataFrame(cells)


def _cell(trait: Trait) -> str:
    """'78% vs 25% overall', 'mean 41.2 vs 35 overall', 'mean 2021-03-04 vs 2020-11-30 overall'."""
    if trait.level is not None:
        return f"{_share(trait.cluster)} vs {_share(trait.overall)} overall"
    return f"mean {value_text(trait.cluster, trait.kind)} vs {value_text(trait.overall, trait.kind)} overall"
