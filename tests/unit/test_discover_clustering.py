"""Discover's clusterings and merge tree: the labels are scikit-learn's own (on the whole table, on a
sample with the nearest-row rule, or from mini-batches), they find well-separated groups, and bad
settings are plain errors."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest
from scipy.cluster import hierarchy
from scipy.spatial.distance import cdist
from sklearn.base import BaseEstimator
from sklearn.cluster import DBSCAN, HDBSCAN, AgglomerativeClustering, KMeans, MiniBatchKMeans
from sklearn.metrics import adjusted_rand_score
from sklearn.mixture import GaussianMixture
from sklearn.pipeline import Pipeline
from test_discover_data import SEED, blobs, dataset_of, hand_preprocessor, hand_sample, mixed, moons

from mlcore.discover.budget import DiscoverBudget
from mlcore.discover.clustering import NOISE, cluster_labels, fit_clusters
from mlcore.discover.dendrogram import LEAVES, dendrogram
from mlcore.discover.errors import DiscoverError
from mlcore.discover.prepared import prepare
from mlcore.formatting import number

HAND_SEED = 5  # not the default seed, so that a seed which failed to reach the estimator shows


def _hand_labels(estimator: BaseEstimator) -> np.ndarray:
    return Pipeline([("prep", hand_preprocessor()), ("cluster", estimator)]).fit_predict(mixed().frame)


@pytest.mark.parametrize(
    ("key", "params", "estimator"),
    [
        ("kmeans", {"n_clusters": 4}, KMeans(4, random_state=HAND_SEED)),
        ("agglomerative", {"linkage": "average"}, AgglomerativeClustering(3, linkage="average")),
        (
            "gaussian_mixture",
            {"covariance_type": "diag"},
            GaussianMixture(3, covariance_type="diag", random_state=HAND_SEED),
        ),
        ("dbscan", {"eps": 1.0, "min_samples": 4}, DBSCAN(eps=1.0, min_samples=4)),
        ("hdbscan", {"min_cluster_size": 10}, HDBSCAN(min_cluster_size=10, copy=True)),
    ],
)
def test_labels_are_those_of_a_hand_written_pipeline_with_the_same_seed(
    key: str, params: dict, estimator: BaseEstimator
):
    fit = fit_clusters(prepare(mixed(), seed=HAND_SEED), key, params, seed=HAND_SEED)
    np.testing.assert_array_equal(fit.labels, _hand_labels(estimator))
    exported = fit.pipeline.named_steps["cluster"]
    assert type(exported) is type(estimator) and exported.get_params() == estimator.get_params()
    assert fit.fitted_rows is None and fit.note == ""


def test_above_minibatch_rows_kmeans_learns_from_mini_batches():
    fit = fit_clusters(
        prepare(mixed(), seed=HAND_SEED), "kmeans", seed=HAND_SEED, budget=DiscoverBudget(minibatch_rows=299)
    )
    np.testing.assert_array_equal(fit.labels, _hand_labels(MiniBatchKMeans(3, random_state=HAND_SEED)))
    assert fit.estimator_name == "MiniBatchKMeans"
    assert "Mini-batch k-means: with 300 rows (more than 299)" in fit.note


def test_at_minibatch_rows_kmeans_is_plain_kmeans():
    fit = fit_clusters(prepare(mixed()), "kmeans", budget=DiscoverBudget(minibatch_rows=300))
    assert fit.estimator_name == "KMeans"


def test_a_capped_agglomerative_fits_a_sample_and_every_other_row_joins_its_nearest_fitted_row():
    budget = DiscoverBudget(agglomerative_rows=100)
    fit = fit_clusters(prepare(mixed(), seed=HAND_SEED), "agglomerative", seed=HAND_SEED, budget=budget)
    X = hand_preprocessor().fit_transform(mixed().frame)
    sample = hand_sample(len(X), 100, HAND_SEED)
    fitted = AgglomerativeClustering(3).fit_predict(X[sample])
    expected = fitted[cdist(X, X[sample]).argmin(axis=1)]
    expected[sample] = fitted
    np.testing.assert_array_equal(fit.labels, expected)
    np.testing.assert_array_equal(fit.fitted_rows, sample)
    assert "fitted on a random sample of 100 of 300 rows" in fit.note
    assert "nearest fitted row" in fit.note


def test_a_capped_dbscan_gives_other_rows_their_nearest_core_rows_cluster_within_eps_else_noise():
    budget = DiscoverBudget(density_rows=100)
    fit = fit_clusters(
        prepare(mixed(), seed=HAND_SEED), "dbscan", {"eps": 1.0}, seed=HAND_SEED, budget=budget
    )
    X = hand_preprocessor().fit_transform(mixed().frame)
    sample = hand_sample(len(X), 100, HAND_SEED)
    model = DBSCAN(eps=1.0).fit(X[sample])
    cores = model.core_sample_indices_
    distances = cdist(X, X[sample][cores])
    expected = np.where(distances.min(axis=1) <= 1.0, model.labels_[cores][distances.argmin(axis=1)], NOISE)
    expected[sample] = model.labels_
    rest = np.setdiff1d(np.arange(len(X)), sample)
    assert (expected[rest] == NOISE).any() and (expected[rest] != NOISE).any()  # both rules are used
    np.testing.assert_array_equal(fit.labels, expected)
    assert "nearest core row within the radius (else noise)" in fit.note


@pytest.mark.parametrize("key", ["kmeans", "agglomerative", "gaussian_mixture"])
def test_well_separated_blobs_are_found_exactly(key: str):
    dataset, truth = blobs()
    k = "n_components" if key == "gaussian_mixture" else "n_clusters"
    fit = fit_clusters(prepare(dataset), key, {k: 4})
    assert adjusted_rand_score(truth, fit.labels) == 1.0


def test_dbscan_finds_the_two_moons():
    dataset, truth = moons()
    fit = fit_clusters(prepare(dataset), "dbscan", {"eps": 0.3})
    assert fit.n_noise == 0 and adjusted_rand_score(truth, fit.labels) == 1.0


def test_hdbscan_finds_the_two_moons():
    dataset, truth = moons()
    fit = fit_clusters(prepare(dataset), "hdbscan", {"min_cluster_size": 10})
    assert fit.n_noise == 0 and adjusted_rand_score(truth, fit.labels) == 1.0


def test_k_means_splits_the_moons_across_them():
    """The contrast that makes DBSCAN worth offering: round clusters cut each moon in two."""
    dataset, truth = moons()
    assert (
        adjusted_rand_score(truth, fit_clusters(prepare(dataset), "kmeans", {"n_clusters": 2}).labels) < 0.5
    )


def test_clusters_and_noise_are_counted_apart():
    fit = fit_clusters(prepare(mixed(), seed=HAND_SEED), "dbscan", {"eps": 1.0}, seed=HAND_SEED)
    labels = _hand_labels(DBSCAN(eps=1.0))
    np.testing.assert_array_equal(fit.clusters, np.unique(labels[labels >= 0]))
    assert fit.n_noise == np.sum(labels == -1) > 0


def test_cluster_names_are_ordered_by_label_with_noise_last():
    names = cluster_labels(np.array([10, -1, 2, 0, 2]))
    assert list(names) == ["cluster 10", "noise", "cluster 2", "cluster 0", "cluster 2"]
    assert list(names.cat.categories) == ["cluster 0", "cluster 2", "cluster 10", "noise"]


# ---------- bad settings ----------


def test_an_unknown_algorithm_is_a_plain_error():
    with pytest.raises(DiscoverError, match="no clustering algorithm called 'spectral'") as raised:
        fit_clusters(prepare(mixed()), "spectral")
    assert "kmeans" in raised.value.hint


def test_an_unknown_setting_is_a_plain_error_naming_the_settings():
    with pytest.raises(DiscoverError, match="k-means has no setting called 'clusters'") as raised:
        fit_clusters(prepare(mixed()), "kmeans", {"clusters": 3})
    assert "n_clusters" in raised.value.hint


def test_more_clusters_than_rows_is_a_plain_error():
    frame = pd.DataFrame({"a": [1.0, 2.0, 3.0, 4.0, 5.0], "b": [5.0, 3.0, 1.0, 2.0, 4.0]})
    with pytest.raises(DiscoverError, match="6 clusters were asked for, but the table has only 5 rows"):
        fit_clusters(prepare(dataset_of(frame)), "kmeans", {"n_clusters": 6})


def test_dbscan_with_every_row_noise_suggests_the_median_distance_to_the_fifth_neighbour():
    prepared = prepare(blobs(300)[0])
    with pytest.raises(DiscoverError, match="DBSCAN put every row in noise") as raised:
        fit_clusters(prepared, "dbscan", {"eps": 0.001})
    fifth = float(np.median(np.sort(cdist(prepared.matrix, prepared.matrix), axis=1)[:, 4]))
    assert f"Use a larger eps, e.g. {number(fifth, 3)}" in raised.value.hint
    suggested = float(re.search(r"e\.g\. ([\d.]+)", raised.value.hint).group(1))
    assert len(fit_clusters(prepared, "dbscan", {"eps": suggested}).clusters) >= 1


def test_hdbscan_with_every_row_noise_is_a_plain_error():
    with pytest.raises(DiscoverError, match="HDBSCAN found no cluster of at least 300 rows"):
        fit_clusters(prepare(blobs(300)[0]), "hdbscan", {"min_cluster_size": 300})


@pytest.mark.parametrize(
    ("params", "setting"),
    [({"min_cluster_size": 500}, "Smallest cluster"), ({"min_samples": 301}, "Neighbours of a core row")],
)
def test_hdbscan_counting_more_neighbours_than_rows_is_a_plain_error_not_sklearns(params: dict, setting: str):
    """Regression: scikit-learn's own ValueError ('min_samples must be at most the number of samples')
    escaped when the smallest cluster (or the neighbours) outnumbered the rows fitted."""
    with pytest.raises(DiscoverError, match=f"'{setting}' is .*fitted on only 300 rows") as raised:
        fit_clusters(prepare(blobs(300)[0]), "hdbscan", params)
    assert "at most 300" in raised.value.hint


# ---------- the merge tree ----------


@pytest.mark.parametrize("linkage", ["ward", "average", "complete"])
def test_the_cut_lies_between_the_merges_that_leave_k_clusters(linkage: str):
    prepared = prepare(blobs(300)[0])
    for k in (2, 4, 7):
        tree = dendrogram(prepared, linkage, k, budget=DiscoverBudget(dendrogram_rows=150))
        merges = hierarchy.linkage(prepared.matrix[tree.rows], method=linkage)
        heights = merges[:, 2]
        assert heights[-k] < tree.cut < heights[-k + 1]
        assert len(np.unique(hierarchy.fcluster(merges, tree.cut, criterion="distance"))) == k


def test_the_tree_is_of_a_sample_drawn_as_its_last_merges():
    tree = dendrogram(prepare(blobs(300)[0]), budget=DiscoverBudget(dendrogram_rows=150))
    assert len(tree.rows) == 150 and tree.note == "The tree of a random sample of 150 of 300 rows."
    assert len(tree.leaves) == LEAVES and len(tree.xs) == len(tree.heights) == LEAVES - 1
    sizes = [int(leaf[1:-1]) if leaf.startswith("(") else 1 for leaf in tree.leaves]
    assert sum(sizes) == 150  # every sampled row sits under one leaf
    assert tree.cut is None and tree.k is None


def test_a_cut_outside_the_trees_range_is_a_plain_error():
    with pytest.raises(DiscoverError, match="can be cut into 2 to 149 clusters, not 150"):
        dendrogram(prepare(blobs(300)[0]), k=150, seed=SEED, budget=DiscoverBudget(dendrogram_rows=150))
