"""The clustering and anomaly algorithms as data: what the page says, their settings, their estimator.

Settings are `HyperParam`s, the same shape the Train page generates its widgets from; estimators are
`EstimatorRecipe`s read by the registry's one builder, so the seed reaches every random step the same
way it does in training. The algorithms whose cost grows with the square of the rows name the budget
field that caps the rows they are fitted on (`budget.DiscoverBudget`), as training caps SVMs.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from mlcore.discover.budget import DiscoverBudget
from mlcore.discover.errors import DiscoverError
from mlcore.train.estimator_recipe import EstimatorRecipe, build
from mlcore.train.hyperparams import N_TREES, HyperParam


@dataclass(frozen=True)
class Algorithm:
    """One clustering or anomaly algorithm and how to build its estimator from settings and a seed."""

    key: str
    name: str
    description: str
    recipe: EstimatorRecipe
    params: tuple[HyperParam, ...]
    k_param: str | None = None  # the setting that is the number of clusters (None: found from the data)
    large_recipe: EstimatorRecipe | None = None  # the estimator used above `budget.minibatch_rows`
    cap: str | None = None  # the `DiscoverBudget` field capping the rows it is fitted on
    why_capped: str = ""
    noise: bool = False  # may leave rows in no cluster (label −1)

    def defaults(self) -> dict[str, Any]:
        return {p.name: p.default for p in self.params}

    def resolve(self, params: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """Defaults overridden by `params`, each value checked against its range."""
        by_name = {p.name: p for p in self.params}
        unknown = sorted(set(params or {}) - set(by_name))
        if unknown:
            raise DiscoverError(
                f"{self.name} has no setting called '{unknown[0]}'.",
                "Its settings are: " + ", ".join(by_name) + ".",
            )
        return self.defaults() | {n: by_name[n].coerce(v) for n, v in (params or {}).items()}

    def row_cap(self, budget: DiscoverBudget) -> int | None:
        return getattr(budget, self.cap) if self.cap else None

    def uses_large_recipe(self, n_rows: int, budget: DiscoverBudget) -> bool:
        return self.large_recipe is not None and n_rows > budget.minibatch_rows

    def build(self, values: Mapping[str, Any], seed: int, n_rows: int, budget: DiscoverBudget) -> Any:
        """An unfitted estimator for `n_rows` rows with resolved settings."""
        large = self.uses_large_recipe(n_rows, budget)
        recipe = self.large_recipe if large and self.large_recipe else self.recipe
        return build(recipe, values, seed, balanced=False)


# ---------- the settings ----------

N_CLUSTERS = HyperParam(
    "n_clusters",
    "Number of clusters",
    "int",
    3,
    "How many groups to split the rows into; 'How many clusters?' suggests a number.",
    2,
    50,
)
N_COMPONENTS = replace(N_CLUSTERS, name="n_components")  # a mixture's name for it
LINKAGE = HyperParam(
    "linkage",
    "Linkage",
    "choice",
    "ward",
    "How the distance between two groups is measured before merging the closest: 'ward' keeps groups "
    "compact, 'average' uses the mean distance between their rows, 'complete' the largest.",
    choices=("ward", "average", "complete"),
)
EPS = HyperParam(
    "eps",
    "Neighbourhood radius (eps)",
    "float",
    0.5,
    "How close two rows must be to count as neighbours, in prepared (scaled) units; larger values join "
    "more rows into clusters.",
    0.001,
    100.0,
    log=True,
)
MIN_SAMPLES = HyperParam(
    "min_samples",
    "Neighbours of a core row",
    "int",
    5,
    "How many rows (itself included) must lie within the radius for a row to anchor a cluster; larger "
    "values leave more rows as noise.",
    1,
    500,
    log=True,
)
MIN_CLUSTER_SIZE = HyperParam(
    "min_cluster_size",
    "Smallest cluster",
    "int",
    5,
    "The fewest rows a group needs to count as a cluster; smaller groups become noise.",
    2,
    5_000,
    log=True,
)
HDBSCAN_MIN_SAMPLES = replace(
    MIN_SAMPLES,
    default=None,
    help="How many neighbours a row needs to count as dense; larger values are more cautious and leave "
    "more rows as noise.",
    none_label="same as the smallest cluster",
)
COVARIANCE = HyperParam(
    "covariance_type",
    "Cluster shape",
    "choice",
    "full",
    "'full' lets each cluster be any ellipse, 'tied' gives every cluster the same ellipse, 'diag' "
    "ellipses along the axes, 'spherical' circles.",
    choices=("full", "tied", "diag", "spherical"),
)
LOF_NEIGHBOURS = HyperParam(
    "n_neighbors",
    "Neighbours compared",
    "int",
    20,
    "How many nearest rows each row's density is compared with; larger values find larger-scale anomalies.",
    2,
    200,
    log=True,
)

CLUSTERINGS: tuple[Algorithm, ...] = (
    Algorithm(
        "kmeans",
        "k-means",
        "Splits the rows into k groups around k centres, each row joining the nearest; fast, and best for "
        "round clusters of similar size.",
        EstimatorRecipe("sklearn.cluster.KMeans"),
        (N_CLUSTERS,),
        k_param="n_clusters",
        large_recipe=EstimatorRecipe("sklearn.cluster.MiniBatchKMeans"),
    ),
    Algorithm(
        "agglomerative",
        "Agglomerative (hierarchical)",
        "Starts with every row on its own and merges the two closest groups until k are left; the merges "
        "form a tree (the dendrogram).",
        EstimatorRecipe("sklearn.cluster.AgglomerativeClustering", seed=None),
        (N_CLUSTERS, LINKAGE),
        k_param="n_clusters",
        cap="agglomerative_rows",
        why_capped="its distances grow with the square of the rows",
    ),
    Algorithm(
        "gaussian_mixture",
        "Gaussian mixture",
        "Describes the rows as k overlapping bell-shaped clouds, each row joining the most likely one; "
        "clusters may be stretched ellipses.",
        EstimatorRecipe("sklearn.mixture.GaussianMixture"),
        (N_COMPONENTS, COVARIANCE),
        k_param="n_components",
    ),
    Algorithm(
        "dbscan",
        "DBSCAN",
        "Grows clusters from rows with many close neighbours; finds clusters of any shape and their number "
        "by itself, and leaves isolated rows as noise.",
        EstimatorRecipe("sklearn.cluster.DBSCAN", seed=None),
        (EPS, MIN_SAMPLES),
        cap="density_rows",
        why_capped="its neighbourhoods can hold every pair of rows",
        noise=True,
    ),
    Algorithm(
        "hdbscan",
        "HDBSCAN",
        "DBSCAN at every radius at once, keeping the clusters that last longest; needs only the smallest "
        "cluster size, and leaves isolated rows as noise.",
        EstimatorRecipe("sklearn.cluster.HDBSCAN", fixed={"copy": True}, seed=None),
        (MIN_CLUSTER_SIZE, HDBSCAN_MIN_SAMPLES),
        cap="density_rows",
        why_capped="its cost grows faster than the rows",
        noise=True,
    ),
)

DETECTORS: tuple[Algorithm, ...] = (
    Algorithm(
        "isolation_forest",
        "Isolation Forest",
        "Random trees split the rows apart; rows isolated after few splits are unlike the others.",
        EstimatorRecipe("sklearn.ensemble.IsolationForest"),
        (N_TREES,),
    ),
    Algorithm(
        "lof",
        "Local Outlier Factor",
        "Compares each row's density of neighbours with its neighbours' own; rows in much sparser places "
        "than their neighbours are unusual.",
        EstimatorRecipe("sklearn.neighbors.LocalOutlierFactor", seed=None),
        (LOF_NEIGHBOURS,),
        cap="lof_rows",
        why_capped="it compares every row with its neighbours",
    ),
)


def clustering(key: str) -> Algorithm:
    return _find(CLUSTERINGS, key, "clustering algorithm")


def detector(key: str) -> Algorithm:
    return _find(DETECTORS, key, "anomaly detector")


def _find(registry: tuple[Algorithm, ...], key: str, what: str) -> Algorithm:
    for algorithm in registry:
        if algorithm.key == key:
            return algorithm
    raise DiscoverError(
        f"There is no {what} called '{key}'.", "Use one of: " + ", ".join(a.key for a in registry)
    )
