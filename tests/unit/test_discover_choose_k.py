"""How many clusters: every k's scores are scikit-learn's, the elbow is the kneedle rule, the true k
of well-separated blobs is recommended, and the sentence says why."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.cluster import KMeans
from sklearn.metrics import calinski_harabasz_score, davies_bouldin_score, silhouette_score
from sklearn.mixture import GaussianMixture
from test_discover_data import SEED, blobs, dataset_of, hand_sample, mixed

from mlcore.discover.budget import DiscoverBudget
from mlcore.discover.choose_k import KScore, _recommend, choose_k, elbow, within_sum_of_squares
from mlcore.discover.errors import DiscoverError
from mlcore.discover.prepared import prepare
from mlcore.train.prep_spec import NumericPrep, PrepSpec


@pytest.mark.parametrize("key", ["kmeans", "agglomerative", "gaussian_mixture"])
def test_the_true_k_of_well_separated_blobs_is_recommended(key: str):
    choice = choose_k(prepare(blobs(300)[0]), key, range(2, 7))
    assert choice.recommended == 4 and choice.elbow == 4
    assert set(choice.best.values()) == {4}  # every score agrees
    assert choice.ks == [2, 3, 4, 5, 6]


def test_each_ks_scores_are_scikit_learns_on_the_same_labels():
    prepared = prepare(mixed())
    X = prepared.matrix
    choice = choose_k(prepared, "kmeans", [4, 2, 3, 3])
    assert choice.ks == [2, 3, 4]  # sorted, once each
    for score in choice.scores:
        model = KMeans(score.k, random_state=SEED).fit(X)
        assert score.silhouette == pytest.approx(silhouette_score(X, model.labels_))
        assert score.calinski_harabasz == pytest.approx(calinski_harabasz_score(X, model.labels_))
        assert score.davies_bouldin == pytest.approx(davies_bouldin_score(X, model.labels_))
        assert score.wcss == pytest.approx(model.inertia_, rel=1e-9)
        assert np.isnan(score.bic)


def test_a_mixtures_bic_is_scikit_learns():
    prepared = prepare(mixed())
    choice = choose_k(prepared, "gaussian_mixture", [2, 3, 4], seed=7)
    expected = [
        GaussianMixture(k, random_state=7).fit(prepared.matrix).bic(prepared.matrix) for k in (2, 3, 4)
    ]
    np.testing.assert_allclose([s.bic for s in choice.scores], expected)
    assert choice.best["bic"] == 2 + int(np.argmin(expected))


def test_silhouettes_use_one_stated_sample_for_every_k():
    prepared = prepare(mixed())
    X = prepared.matrix
    choice = choose_k(prepared, "kmeans", [2, 3, 4], budget=DiscoverBudget(silhouette_rows=100))
    probe = hand_sample(len(X), 100)
    for score in choice.scores:
        labels = KMeans(score.k, random_state=SEED).fit_predict(X)
        assert score.silhouette == pytest.approx(silhouette_score(X[probe], labels[probe]))
        assert score.calinski_harabasz == pytest.approx(calinski_harabasz_score(X, labels))  # every row
    assert choice.note == "Silhouettes use a random sample of 100 of 300 rows."


def test_the_within_sum_of_squares_by_hand():
    X = np.array([[0.0, 0.0], [2.0, 0.0], [10.0, 10.0], [10.0, 12.0]])
    # cluster 5: mean (1, 0), 1 + 1; cluster 9: mean (10, 11), 1 + 1
    assert within_sum_of_squares(X, np.array([5, 5, 9, 9])) == pytest.approx(4.0)
    assert within_sum_of_squares(X, np.zeros(4, int)) == pytest.approx(((X - X.mean(axis=0)) ** 2).sum())


def test_the_within_sum_of_squares_is_k_means_inertia():
    prepared = prepare(blobs(300)[0])
    model = KMeans(4, random_state=SEED).fit(prepared.matrix)
    assert within_sum_of_squares(prepared.matrix, model.labels_) == pytest.approx(model.inertia_, rel=1e-9)


def test_the_within_sum_of_squares_of_large_unscaled_numbers_is_exact():
    """Regression: computed as Σ‖x‖² − Σ n_c ‖mean_c‖², it cancelled to 0 for numbers near 10⁸ left
    unscaled by Prepare, and the elbow was read from a flat curve."""
    dataset, _ = blobs(300)
    frame = dataset.frame + 1e8
    prepared = prepare(dataset_of(frame), PrepSpec(numeric=NumericPrep(scale="none")))
    for score in choose_k(prepared, "kmeans", [2, 3, 4]).scores:
        model = KMeans(score.k, random_state=SEED).fit(prepared.matrix)
        assert score.wcss == pytest.approx(model.inertia_, rel=1e-6)


def test_the_elbow_is_where_the_scaled_curve_lies_farthest_below_its_chord():
    # scaled: x = 0, .25, .5, .75, 1; y = 1, .362, .043, .021, 0; chord − y = 0, .388, .457, .229, 0
    assert elbow([2, 3, 4, 5, 6], [100.0, 40.0, 10.0, 8.0, 6.0]) == 4
    assert (
        elbow([2, 4, 6, 8, 10], [1e6, 4e5, 1e5, 8e4, 6e4]) == 6
    )  # the units of k and of the sums do not matter


def test_the_reason_names_the_recommended_k_and_the_scores_that_agree():
    choice = choose_k(prepare(blobs(300)[0]), "kmeans", range(2, 7))
    assert choice.reason.startswith("k = 4: the best silhouette (0.")
    assert "strong structure" in choice.reason
    assert choice.reason.endswith("the elbow, Calinski–Harabasz and Davies–Bouldin agree.")


def test_the_silhouette_decides_and_the_reason_says_which_scores_differ():
    scores = (
        KScore(2, 100.0, 0.5, 10.0, 1.0),
        KScore(3, 40.0, 0.7, 30.0, 0.5),
        KScore(4, 30.0, 0.6, 35.0, 0.6),
        KScore(5, 25.0, 0.4, 20.0, 0.9),
    )
    choice = _recommend("kmeans", scores, "")
    assert choice.recommended == 3 and choice.best["calinski_harabasz"] == 4
    assert choice.reason == (
        "k = 3: the best silhouette (0.7, reasonable structure); the elbow and Davies–Bouldin agree, but "
        "Calinski–Harabasz prefers 4, so the evidence is mixed: compare the clusters of these k."
    )


# ---------- bad requests ----------


@pytest.mark.parametrize("ks", [[2, 3], [2, 2, 3, 3], [1, 2, 3]])
def test_fewer_than_three_ks_or_a_k_below_two_is_a_plain_error(ks: list[int]):
    with pytest.raises(DiscoverError, match="at least three values of k, each at least 2"):
        choose_k(prepare(mixed()), "kmeans", ks)


def test_more_clusters_than_rows_is_a_plain_error():
    prepared = prepare(mixed())
    with pytest.raises(DiscoverError, match="Trying up to 40 clusters needs more than 40 rows; there are 30"):
        choose_k(prepared, "agglomerative", [2, 3, 40], budget=DiscoverBudget(agglomerative_rows=30))


def test_an_algorithm_that_finds_its_own_number_is_refused():
    with pytest.raises(DiscoverError, match="DBSCAN finds the number of clusters by itself"):
        choose_k(prepare(mixed()), "dbscan")
