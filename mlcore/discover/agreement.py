"""Clusters against the target's classes: do the groups found without the answer match the answer?

A contingency table (rows per cluster and class) and scikit-learn's four agreement scores, each with
one sentence a learner can read. Noise rows count as one group of their own, since they too are the
algorithm's answer; rows without a class are left out.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn import metrics

from mlcore.dataset import Dataset
from mlcore.discover.clustering import NOISE, checked_labels, cluster_name, cluster_order
from mlcore.discover.errors import DiscoverError
from mlcore.formatting import plural
from mlcore.schema import Task

SCORES: tuple[tuple[str, str, Callable[..., float], str], ...] = (  # key, name, scorer, what it says
    (
        "adjusted_rand",
        "Adjusted Rand index",
        metrics.adjusted_rand_score,
        "How often two rows are put together (or apart) alike by the clusters and by the classes, corrected "
        "for chance: 1 is the same grouping, 0 what random clusters would score.",
    ),
    (
        "nmi",
        "Normalised mutual information",
        metrics.normalized_mutual_info_score,
        "How much knowing a row's cluster tells you about its class and the other way round, from 0 "
        "(nothing) to 1 (everything).",
    ),
    (
        "homogeneity",
        "Homogeneity",
        metrics.homogeneity_score,
        "Whether each cluster holds a single class: 1 when every cluster is pure, however many clusters "
        "a class is split into.",
    ),
    (
        "completeness",
        "Completeness",
        metrics.completeness_score,
        "Whether each class falls in a single cluster: 1 when no class is split, however many classes "
        "share a cluster.",
    ),
)


@dataclass(frozen=True)
class AgreementScore:
    key: str
    name: str
    value: float
    explanation: str


@dataclass(frozen=True, eq=False)
class TargetAgreement:
    """How the clusters line up with the target's classes."""

    target: str
    contingency: pd.DataFrame  # cluster names (noise last) × classes: rows
    scores: tuple[AgreementScore, ...]
    note: str = ""


def compare_with_target(dataset: Dataset, labels: np.ndarray) -> TargetAgreement:
    """The contingency table and agreement scores of `labels` (one per row) against the target."""
    labels = checked_labels(labels, dataset.n_rows)
    if dataset.target is None or dataset.task is not Task.CLASSIFICATION:
        raise DiscoverError(
            "Clusters are compared with the classes of a target, and this table has no class target.",
            "Choose a column of classes as the target on the Data page; a number target's mean per "
            "cluster is in the cluster profiles.",
        )
    target = dataset.frame[dataset.target]
    known = target.notna().to_numpy()
    classes = target[known].astype(str).to_numpy()
    found = labels[known]
    order = cluster_order(found)
    table = pd.crosstab(pd.Categorical(found, categories=order), classes)
    table.index = [cluster_name(label) for label in order]
    table.columns.name = dataset.target
    scores = tuple(AgreementScore(k, n, float(score(classes, found)), why) for k, n, score, why in SCORES)
    notes = []
    if NOISE in order:
        notes.append("Noise rows count as one group of their own.")
    if not known.all():
        notes.append(f"{plural(int((~known).sum()), 'row')} without a class are left out.")
    return TargetAgreement(dataset.target, table, scores, " ".join(notes))
