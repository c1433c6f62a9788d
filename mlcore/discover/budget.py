"""How many rows Discover's slower steps use, per preset (`mlcore.settings`): the algorithms whose
cost grows with the square of the rows are fitted on a sample, silhouettes and t-SNE run on a sample,
and charts draw at most so many points. Statistics (cluster profiles, PCA's variance, the scores
other than the silhouette) use every row."""

from __future__ import annotations

from dataclasses import dataclass

from mlcore.settings import for_preset


@dataclass(frozen=True)
class DiscoverBudget:
    minibatch_rows: int = 100_000  # k-means on more rows than this learns from mini-batches
    agglomerative_rows: int = 5_000  # a distance tree of n rows holds n² / 2 distances
    density_rows: int = 10_000  # DBSCAN and HDBSCAN: neighbourhoods of every row
    lof_rows: int = 20_000  # local outlier factor: every row's neighbours
    silhouette_rows: int = 5_000  # silhouettes compare every pair of rows
    tsne_rows: int = 5_000
    dendrogram_rows: int = 2_000
    plot_points: int = 20_000  # points drawn in one scatter


BUDGETS = {
    "standard": DiscoverBudget(),
    "classroom": DiscoverBudget(
        minibatch_rows=50_000,
        agglomerative_rows=2_000,
        density_rows=5_000,
        lof_rows=10_000,
        silhouette_rows=2_000,
        tsne_rows=2_000,
        dendrogram_rows=1_000,
        plot_points=10_000,
    ),
    "thorough": DiscoverBudget(
        minibatch_rows=200_000,
        agglomerative_rows=20_000,
        density_rows=50_000,
        lof_rows=100_000,
        silhouette_rows=20_000,
        tsne_rows=10_000,
        dendrogram_rows=5_000,
        plot_points=50_000,
    ),
}
BUDGET = for_preset(BUDGETS)
