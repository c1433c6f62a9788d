"""The rows in two or three dimensions: PCA (linear, with its statistics) and t-SNE (neighbourhoods).

PCA is fitted on every row, so its explained variance and loadings describe the whole table; only the
points kept for drawing are a sample (`budget.plot_points`). t-SNE, whose cost grows faster than the
rows, maps a stated sample (`budget.tsne_rows`). UMAP is not offered: see `UMAP_UNAVAILABLE`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.decomposition import PCA
from sklearn.manifold import TSNE

from mlcore.discover.budget import BUDGET, DiscoverBudget
from mlcore.discover.errors import DiscoverError
from mlcore.discover.prepared import Prepared, sample_rows, sampled
from mlcore.formatting import percent

DRAWN_COMPONENTS = 3  # principal components kept per drawn row: enough for a 3-D scatter
UMAP_UNAVAILABLE = (
    "UMAP is not offered: umap-learn installs against our pinned libraries (umap-learn 0.5.12, "
    "pynndescent 0.7.0, numba 0.62.1), but numba compiles it anew in every process, so the first map of "
    "10,000 rows took about 45 s on two cores (9 s once compiled), too slow for a page that reruns."
)


@dataclass(frozen=True, eq=False)
class Projection:
    """Rows placed in two or three dimensions, for a scatter."""

    method: str  # "PCA", "t-SNE"
    coordinates: np.ndarray  # drawn rows × dimensions
    rows: np.ndarray  # the position in the dataset of each drawn row
    axes: tuple[str, ...]  # each dimension's title, e.g. "PC1 (42% of the variance)"
    note: str = ""

    @property
    def dimensions(self) -> int:
        return self.coordinates.shape[1]


@dataclass(frozen=True, eq=False)
class PcaSummary:
    """PCA of every row: the variance each component explains, what it is made of, and the rows in it."""

    explained: np.ndarray  # share of the total variance, per component
    loadings: pd.DataFrame  # prepared column ("age", "region = north") × component ("PC1" …)
    projection: Projection  # the drawn rows on the first components

    @property
    def cumulative(self) -> np.ndarray:
        return np.cumsum(self.explained)


def pca_projection(prepared: Prepared, seed: int = 0, budget: DiscoverBudget = BUDGET) -> PcaSummary:
    """Every component of PCA on every prepared row; the drawn sample on the first three."""
    pca = PCA(random_state=seed).fit(prepared.matrix)
    names = [f"PC{i + 1}" for i in range(pca.n_components_)]
    rows = sample_rows(prepared.n_rows, budget.plot_points, seed)
    kept = min(DRAWN_COMPONENTS, pca.n_components_)
    coordinates = pca.transform(prepared.matrix[rows])[:, :kept]
    axes = tuple(
        f"{n} ({percent(v, 0)} of the variance)"
        for n, v in zip(names, pca.explained_variance_ratio_[:kept], strict=False)
    )
    note = f"Drawn: {sampled(len(rows), prepared.n_rows)}." if len(rows) < prepared.n_rows else ""
    return PcaSummary(
        pca.explained_variance_ratio_,
        pd.DataFrame(pca.components_.T, index=list(prepared.columns), columns=names),
        Projection("PCA", coordinates, rows, axes, note),
    )


def tsne_projection(
    prepared: Prepared,
    perplexity: float = 30.0,
    dimensions: int = 2,
    seed: int = 0,
    budget: DiscoverBudget = BUDGET,
) -> Projection:
    """t-SNE of a sample of the prepared rows: near rows stay near; distances between groups mean little."""
    if dimensions not in (2, 3):
        raise DiscoverError("t-SNE maps rows to 2 or 3 dimensions.", "Choose 2 or 3 dimensions.")
    rows = sample_rows(prepared.n_rows, budget.tsne_rows, seed)
    if perplexity >= len(rows):
        raise DiscoverError(
            f"t-SNE's perplexity ({perplexity:g}) must be smaller than the number of rows mapped "
            f"({len(rows):,}).",
            f"Use a perplexity below {len(rows):,}: 5 to 50 is usual, at most a third of the rows best.",
        )
    coordinates = TSNE(
        n_components=dimensions,
        perplexity=perplexity,
        init="pca" if prepared.matrix.shape[1] >= dimensions else "random",  # PCA needs as many columns
        learning_rate="auto",
        random_state=seed,
    ).fit_transform(prepared.matrix[rows])
    note = f"t-SNE of {sampled(len(rows), prepared.n_rows)}." if len(rows) < prepared.n_rows else ""
    return Projection("t-SNE", coordinates, rows, tuple(f"t-SNE {i + 1}" for i in range(dimensions)), note)


def umap_projection(prepared: Prepared) -> Projection:
    """UMAP is not available here (`UMAP_UNAVAILABLE` says why): a plain error with what to use instead."""
    raise DiscoverError(
        UMAP_UNAVAILABLE, "Use t-SNE for neighbourhoods, or PCA for a map that keeps distances."
    )
