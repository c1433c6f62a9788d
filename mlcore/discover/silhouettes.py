"""How well each row sits in its cluster: its silhouette, for a silhouette plot per cluster.

A row's silhouette is (b − a) / max(a, b), with a its mean distance to its own cluster and b to the
nearest other cluster: near 1 well inside, near 0 on a border, below 0 closer to another cluster.
It compares every pair of rows, so it is computed on a stated random sample of the clustered rows;
noise rows belong to no cluster and are left out.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from sklearn.metrics import silhouette_samples

from mlcore.discover.budget import BUDGET, DiscoverBudget
from mlcore.discover.clustering import NOISE, checked_labels
from mlcore.discover.errors import DiscoverError
from mlcore.discover.prepared import Prepared, sample_rows, sampled


@dataclass(frozen=True, eq=False)
class Silhouettes:
    """Silhouette values of a sample of the clustered rows."""

    values: np.ndarray
    labels: np.ndarray  # each sampled row's cluster
    rows: np.ndarray  # each sampled row's position in the dataset
    note: str = ""

    @property
    def mean(self) -> float:
        return float(self.values.mean())


def silhouette_values(
    prepared: Prepared, labels: np.ndarray, seed: int = 0, budget: DiscoverBudget = BUDGET
) -> Silhouettes:
    """Each sampled row's silhouette in the prepared space, where the clusters were found."""
    labels = checked_labels(labels, prepared.n_rows)
    clustered = np.flatnonzero(labels != NOISE)
    rows = clustered[sample_rows(len(clustered), budget.silhouette_rows, seed)]
    found = len(np.unique(labels[rows]))
    if not 2 <= found < len(rows):
        raise DiscoverError(
            "A silhouette compares each row's cluster with the next, so it needs at least two clusters "
            "and more clustered rows than clusters.",
            "Ask for more clusters, or settings that leave fewer rows as noise.",
        )
    values = silhouette_samples(prepared.matrix[rows], labels[rows])
    note = (
        f"Silhouettes of {sampled(len(rows), len(clustered))} in clusters."
        if len(rows) < len(clustered)
        else ""
    )
    return Silhouettes(values, labels[rows], rows, note)
