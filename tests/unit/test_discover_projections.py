"""The rows in two or three dimensions: PCA's statistics are scikit-learn's (and the covariance's
eigen-decomposition) on every row, only the drawn points are a sample; t-SNE maps a stated sample."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.decomposition import PCA
from sklearn.manifold import TSNE
from test_discover_data import blobs, hand_sample, mixed, moons
from threadpoolctl import threadpool_limits

from mlcore.discover.budget import DiscoverBudget
from mlcore.discover.errors import DiscoverError
from mlcore.discover.prepared import prepare
from mlcore.discover.projections import pca_projection, tsne_projection, umap_projection


def test_explained_variance_and_loadings_are_scikit_learns_pca_on_the_prepared_matrix():
    prepared = prepare(mixed())
    summary = pca_projection(prepared)
    pca = PCA().fit(prepared.matrix)
    np.testing.assert_allclose(summary.explained, pca.explained_variance_ratio_)
    np.testing.assert_allclose(summary.loadings.to_numpy(), pca.components_.T)
    assert list(summary.loadings.index) == list(prepared.columns)
    assert list(summary.loadings.columns) == [f"PC{i}" for i in range(1, len(prepared.columns) + 1)]


def test_explained_variance_and_loadings_are_the_covariances_eigen_decomposition():
    prepared = prepare(mixed())
    summary = pca_projection(prepared)
    values, vectors = np.linalg.eigh(np.cov(prepared.matrix, rowvar=False))
    order = np.argsort(values)[::-1]
    np.testing.assert_allclose(summary.explained, values[order] / values.sum(), atol=1e-12)
    top = summary.loadings.to_numpy()[:, :3]  # distinct eigenvalues: vectors equal up to their sign
    np.testing.assert_allclose(np.abs(top), np.abs(vectors[:, order[:3]]), atol=1e-8)


def test_the_cumulative_share_is_the_running_total_up_to_all_the_variance():
    summary = pca_projection(prepare(mixed()))
    np.testing.assert_allclose(summary.cumulative, np.cumsum(summary.explained))
    assert summary.cumulative[-1] == pytest.approx(1.0)


def test_only_the_drawn_points_are_a_sample_and_the_variance_is_of_every_row():
    prepared = prepare(mixed())
    summary = pca_projection(prepared, budget=DiscoverBudget(plot_points=50))
    projection = summary.projection
    rows = hand_sample(300, 50)
    pca = PCA().fit(prepared.matrix)
    np.testing.assert_array_equal(projection.rows, rows)
    np.testing.assert_allclose(projection.coordinates, pca.transform(prepared.matrix[rows])[:, :3])
    np.testing.assert_allclose(summary.explained, pca.explained_variance_ratio_)
    on_the_sample = PCA().fit(prepared.matrix[rows]).explained_variance_ratio_
    assert not np.allclose(summary.explained, on_the_sample)
    assert projection.note == "Drawn: a random sample of 50 of 300 rows."
    share = pca.explained_variance_ratio_[0]
    assert projection.axes[0] == f"PC1 ({100 * share:.0f}% of the variance)" and len(projection.axes) == 3


def test_a_table_of_two_columns_is_drawn_on_its_two_components():
    summary = pca_projection(prepare(moons(100)[0]))
    assert summary.projection.coordinates.shape == (100, 2) and summary.projection.note == ""
    assert summary.projection.method == "PCA" and summary.projection.dimensions == 2


def test_t_sne_maps_a_sample_as_scikit_learns_t_sne_with_the_same_seed():
    prepared = prepare(blobs(200)[0])
    rows = hand_sample(200, 150, seed=3)
    with threadpool_limits(1):  # OpenMP threads spin for seconds when another process holds a core
        projection = tsne_projection(prepared, perplexity=20, seed=3, budget=DiscoverBudget(tsne_rows=150))
        expected = TSNE(perplexity=20, init="pca", learning_rate="auto", random_state=3).fit_transform(
            prepared.matrix[rows]
        )
    np.testing.assert_array_equal(projection.rows, rows)
    np.testing.assert_allclose(projection.coordinates, expected)
    assert projection.axes == ("t-SNE 1", "t-SNE 2")
    assert projection.note == "t-SNE of a random sample of 150 of 200 rows."


def test_a_perplexity_the_rows_do_not_allow_is_a_plain_error():
    with pytest.raises(
        DiscoverError, match=r"perplexity \(50\) must be smaller than the number of rows mapped \(40\)"
    ):
        tsne_projection(prepare(blobs(40)[0]), perplexity=50)


def test_t_sne_draws_two_or_three_dimensions_only():
    with pytest.raises(DiscoverError, match="2 or 3 dimensions"):
        tsne_projection(prepare(blobs(40)[0]), perplexity=5, dimensions=4)


def test_umap_is_a_plain_error_saying_what_to_use_instead():
    with pytest.raises(DiscoverError, match="UMAP is not offered") as raised:
        umap_projection(prepare(blobs(40)[0]))
    assert "t-SNE" in raised.value.hint
