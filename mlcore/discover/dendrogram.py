"""The agglomerative merge tree of a sample of rows, ready to draw as a dendrogram.

A tree of every row would have more leaves than a screen has pixels and cost n² / 2 distances, so it is
built on a stated random sample (`budget.dendrogram_rows`) and drawn from its last merges only: each
leaf is then a group of rows, labelled with its size. Heights are merge distances in prepared units.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.cluster import hierarchy

from mlcore.discover.algorithms import LINKAGE
from mlcore.discover.budget import BUDGET, DiscoverBudget
from mlcore.discover.errors import DiscoverError
from mlcore.discover.prepared import Prepared, sample_rows, sampled

LEAVES = 30  # groups at the bottom of the drawn tree


@dataclass(frozen=True, eq=False)
class Dendrogram:
    """The drawn part of the merge tree: one ⊓-shaped link per merge, as scipy lays them out."""

    linkage: str
    xs: np.ndarray  # merges × 4: the x of each link's four corners
    heights: np.ndarray  # merges × 4: their heights
    leaves: tuple[str, ...]  # each leaf's caption, left to right: "(12)" rows, or a row number
    cut: float | None  # the height cutting the tree into `k` clusters, when `k` was given
    k: int | None
    rows: np.ndarray  # the sampled rows' positions in the dataset
    note: str = ""


def dendrogram(
    prepared: Prepared,
    linkage: str = "ward",
    k: int | None = None,
    seed: int = 0,
    budget: DiscoverBudget = BUDGET,
) -> Dendrogram:
    """The merge tree of a sample with `linkage`, and where a cut into `k` clusters falls."""
    LINKAGE.coerce(linkage)
    rows = sample_rows(prepared.n_rows, budget.dendrogram_rows, seed)
    if k is not None and not 2 <= k < len(rows):
        raise DiscoverError(
            f"A tree of {len(rows):,} rows can be cut into 2 to {len(rows) - 1:,} clusters, not {k}.",
            "Choose a number of clusters in that range.",
        )
    merges = hierarchy.linkage(prepared.matrix[rows], method=linkage)
    drawn = hierarchy.dendrogram(
        merges, truncate_mode="lastp", p=LEAVES, no_plot=True, labels=[f"row {r + 1:,}" for r in rows]
    )
    cut = (
        None if k is None else float((merges[-k, 2] + merges[-k + 1, 2]) / 2)
    )  # between merges n − k and n − k + 1
    note = f"The tree of {sampled(len(rows), prepared.n_rows)}." if len(rows) < prepared.n_rows else ""
    return Dendrogram(
        linkage,
        np.asarray(drawn["icoord"]),
        np.asarray(drawn["dcoord"]),
        tuple(drawn["ivl"]),
        cut,
        k,
        rows,
        note,
    )
