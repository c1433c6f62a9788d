"""What the clusters are: each cluster's profile (means, shares and standardised differences, checked
with pandas), its sentence, every row's silhouette and the clusters' agreement with the target."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from sklearn import metrics
from test_discover_data import NUMBERS, SEED, dataset_of, hand_sample, mixed, mixed_classes

from mlcore.dataset import Dataset
from mlcore.discover.agreement import compare_with_target
from mlcore.discover.budget import DiscoverBudget
from mlcore.discover.clustering import NOISE, fit_clusters
from mlcore.discover.errors import DiscoverError
from mlcore.discover.prepared import prepare
from mlcore.discover.profiles import Trait, describe_clusters
from mlcore.discover.silhouettes import silhouette_values
from mlcore.formatting import number

HALVES = np.repeat([0, 1], 50)  # the first 50 rows in cluster 0, the others in cluster 1


def _regions(seed: int = 0) -> Dataset:
    """100 rows: low incomes all in the north (cluster 0 of `HALVES`), high incomes south and east."""
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame(
        {
            "income": np.r_[rng.normal(20, 2, 50), rng.normal(80, 2, 50)],
            "region": ["north"] * 50 + ["south", "east"] * 25,
            "review": [
                " ".join(rng.choice(["good", "bad", "fine", "great", "awful"], 6)) for _ in range(100)
            ],
        }
    )
    return dataset_of(frame)


def _traits(dataset: Dataset, labels: np.ndarray) -> dict[tuple[str, str], Trait]:
    """Every cluster's traits by (cluster name, trait label)."""
    profiles = describe_clusters(dataset, labels)
    return {(p.name, t.label): t for p in profiles.clusters for t in p.traits}


def test_a_numbers_mean_and_standardised_difference_are_pandas_groupby_against_the_whole_table():
    dataset, labels = mixed(), mixed_classes()
    traits = _traits(dataset, labels)
    for name in NUMBERS:
        column = dataset.frame[name]
        means, medians = column.groupby(labels).mean(), column.groupby(labels).median()
        for label in range(3):
            trait = traits[(f"cluster {label}", name)]
            assert trait.cluster == pytest.approx(means[label])
            assert trait.overall == pytest.approx(column.mean())
            assert trait.effect == pytest.approx((means[label] - column.mean()) / column.std())
            if medians[label] > 0 and column.median() > 0:
                assert trait.median_ratio == pytest.approx(medians[label] / column.median())
            else:
                assert math.isnan(trait.median_ratio)


def test_a_levels_share_and_standardised_difference_are_a_crosstab_against_the_whole_table():
    dataset, labels = mixed(), mixed_classes()
    traits = _traits(dataset, labels)
    colour = dataset.frame["colour"].fillna("(missing)")
    shares = pd.crosstab(labels, colour, normalize="index")
    overall = colour.value_counts(normalize=True)
    assert overall["(missing)"] > 0  # missing values are a level of their own
    for level, p in overall.items():
        for label in range(3):
            trait = traits[(f"cluster {label}", f"colour = {level}")]
            assert trait.cluster == pytest.approx(shares.loc[label, level])
            assert trait.overall == pytest.approx(p)
            assert trait.effect == pytest.approx((shares.loc[label, level] - p) / math.sqrt(p * (1 - p)))


def test_the_heatmap_holds_every_clusters_differences_in_column_order():
    dataset, labels = mixed(), mixed_classes()
    profiles = describe_clusters(dataset, labels)
    numbers = dataset.frame[NUMBERS]
    expected = (numbers.groupby(labels).mean() - numbers.mean()) / numbers.std()
    expected.index = ["cluster 0", "cluster 1", "cluster 2"]
    pd.testing.assert_frame_equal(profiles.heatmap[NUMBERS], expected)
    levels = [f"colour = {v}" for v in ("(missing)", "blue", "green", "red")]
    assert sorted(profiles.heatmap.columns[3:7]) == levels  # the features, then the target
    assert list(profiles.heatmap.columns[7:]) == ["label = x", "label = y", "label = z"]
    a = dataset.frame["a"]
    cell = f"mean {number(a[labels == 0].mean(), 3)} vs {number(a.mean(), 3)} overall"
    assert profiles.cells.loc["cluster 0", "a"] == cell


def test_the_sentence_names_each_clusters_strongest_differences_and_their_direction():
    low, high = describe_clusters(_regions(), HALVES).clusters
    assert low.sentence.startswith("cluster 0 (50% of rows): ")
    assert "mostly `region` = north (100% vs 50% overall)" in low.sentence
    assert "lower `income` (−0.99 sd, median 0.41× the overall)" in low.sentence
    assert "higher `income` (+0.99 sd)" in high.sentence
    assert "north" not in high.sentence  # a level's absence is not said
    assert (low.size, low.share) == (50, 0.5)


def test_a_cluster_like_the_whole_table_says_so():
    frame = pd.DataFrame({"a": np.tile([1.0, 2.0, 3.0, 4.0], 25)})
    (only,) = describe_clusters(dataset_of(frame), np.zeros(100, int)).clusters
    assert only.sentence == "cluster 0 (100% of rows): close to the table as a whole on every column."


def test_noise_is_described_apart_and_left_out_of_the_heatmap():
    labels = HALVES.copy()
    labels[:10] = NOISE
    profiles = describe_clusters(_regions(), labels)
    assert [p.name for p in profiles.clusters] == ["cluster 0", "cluster 1"]
    assert profiles.noise.size == 10 and profiles.noise.label == NOISE
    assert profiles.noise.sentence.startswith("noise (10% of rows, in no cluster): ")
    assert list(profiles.heatmap.index) == ["cluster 0", "cluster 1"]
    income = _regions().frame["income"]
    (trait,) = [t for t in profiles.noise.traits if t.label == "income"]
    assert trait.cluster == pytest.approx(income[:10].mean()) and trait.overall == pytest.approx(
        income.mean()
    )


def test_free_text_and_identifiers_are_left_out_and_said_so():
    profiles = describe_clusters(_regions(), HALVES)
    assert profiles.note == "Not described (free text or identifiers): review."
    assert "review" not in " ".join(profiles.heatmap.columns)


def test_only_the_columns_asked_for_are_described():
    profiles = describe_clusters(mixed(), mixed_classes(), columns=["a"])
    assert list(profiles.heatmap.columns) == ["a"] and profiles.note == ""


def test_column_names_and_levels_with_markup_are_escaped_in_sentences():
    rng = np.random.default_rng(SEED)
    frame = pd.DataFrame(
        {
            "<b>x</b>": np.r_[rng.normal(0, 1, 50), rng.normal(5, 1, 50)],
            "a|b*": ["<i>y</i>"] * 50 + ["z"] * 50,
        }
    )
    low, high = describe_clusters(dataset_of(frame), HALVES).clusters
    assert "lower `<b>x</b>` (" in low.sentence and "higher `<b>x</b>` (" in high.sentence  # code spans
    assert r"mostly `a|b*` = \<i\>y\</i\> (100% vs 50% overall)" in low.sentence  # escaped text
    assert "<i>" not in low.sentence


def test_a_cluster_whose_timestamps_are_all_missing_is_described():
    """Regression: its mean timestamp is NaN, and writing it as a date raised a ValueError."""
    frame = pd.DataFrame(
        {"x": np.r_[np.zeros(10), np.ones(10)], "when": pd.to_datetime(["2021-01-04"] * 10 + [None] * 10)}
    )
    profiles = describe_clusters(dataset_of(frame), np.repeat([0, 1], 10))
    assert profiles.cells.loc["cluster 1", "when"] == "mean – vs 2021-01-04 overall"
    assert profiles.cells.loc["cluster 0", "when"] == "mean 2021-01-04 vs 2021-01-04 overall"
    assert "`when`" not in profiles.clusters[1].sentence


def test_labels_that_are_not_one_per_row_or_all_noise_are_a_plain_error():
    with pytest.raises(DiscoverError, match="There are 5 cluster labels for 300 rows"):
        describe_clusters(mixed(), np.zeros(5, int))
    with pytest.raises(DiscoverError, match="Every row is noise"):
        describe_clusters(mixed(), np.full(300, NOISE))


# ---------- silhouettes ----------


def test_silhouettes_are_scikit_learns_on_the_same_sample():
    prepared = prepare(mixed())
    labels = fit_clusters(prepared, "kmeans").labels
    result = silhouette_values(prepared, labels, budget=DiscoverBudget(silhouette_rows=100))
    rows = hand_sample(300, 100)
    np.testing.assert_array_equal(result.rows, rows)
    np.testing.assert_allclose(result.values, metrics.silhouette_samples(prepared.matrix[rows], labels[rows]))
    np.testing.assert_array_equal(result.labels, labels[rows])
    assert result.mean == pytest.approx(metrics.silhouette_score(prepared.matrix[rows], labels[rows]))
    assert result.note == "Silhouettes of a random sample of 100 of 300 rows in clusters."


def test_noise_rows_have_no_silhouette():
    prepared = prepare(mixed())
    labels = mixed_classes()
    labels[::7] = NOISE
    result = silhouette_values(prepared, labels)
    clustered = np.flatnonzero(labels != NOISE)
    np.testing.assert_array_equal(result.rows, clustered)
    expected = metrics.silhouette_samples(prepared.matrix[clustered], labels[clustered])
    np.testing.assert_allclose(result.values, expected)
    assert result.note == ""


def test_one_cluster_has_no_silhouette():
    labels = np.zeros(300, int)
    labels[:5] = NOISE
    with pytest.raises(DiscoverError, match="needs at least two clusters"):
        silhouette_values(prepare(mixed()), labels)


# ---------- agreement with the target ----------


def test_agreement_scores_are_scikit_learns_and_the_table_is_a_crosstab():
    dataset = mixed()
    labels = fit_clusters(prepare(dataset), "kmeans", {"n_clusters": 4}).labels
    agreement = compare_with_target(dataset, labels)
    classes = dataset.frame["label"]
    expected = {
        "adjusted_rand": metrics.adjusted_rand_score(classes, labels),
        "nmi": metrics.normalized_mutual_info_score(classes, labels),
        "homogeneity": metrics.homogeneity_score(classes, labels),
        "completeness": metrics.completeness_score(classes, labels),
    }
    assert {s.key: s.value for s in agreement.scores} == pytest.approx(expected)
    table = pd.crosstab(np.char.add("cluster ", labels.astype(str)), classes.to_numpy())
    np.testing.assert_array_equal(agreement.contingency.to_numpy(), table.to_numpy())
    assert list(agreement.contingency.index) == list(table.index)
    assert list(agreement.contingency.columns) == ["x", "y", "z"] and agreement.target == "label"
    assert agreement.note == ""


def test_matching_clusters_score_one_on_every_agreement_score():
    agreement = compare_with_target(mixed(), mixed_classes())
    assert [s.value for s in agreement.scores] == pytest.approx([1.0] * 4)


def test_noise_is_a_group_of_its_own_and_rows_without_a_class_are_left_out():
    frame = mixed().frame.copy()
    frame.loc[:9, "label"] = None
    dataset = dataset_of(frame, target="label")
    labels = mixed_classes()
    labels[290:] = NOISE
    agreement = compare_with_target(dataset, labels)
    known = frame["label"].notna().to_numpy()
    assert list(agreement.contingency.index) == ["cluster 0", "cluster 1", "cluster 2", "noise"]
    assert agreement.contingency.loc["noise"].sum() == 10 and agreement.contingency.to_numpy().sum() == 290
    ari = metrics.adjusted_rand_score(frame["label"][known], labels[known])
    assert agreement.scores[0].value == pytest.approx(ari)
    assert (
        agreement.note == "Noise rows count as one group of their own. 10 rows without a class are left out."
    )


def test_a_table_without_a_class_target_is_a_plain_error():
    frame = mixed().frame.drop(columns="label")
    with pytest.raises(DiscoverError, match="no class target"):
        compare_with_target(dataset_of(frame), mixed_classes())


def test_what_sets_a_cluster_apart_in_plain_words_leaves_out_levels_it_lacks():
    frame = pd.DataFrame({"x": [0.0] * 50 + [10.0] * 50, "colour": ["red"] * 50 + ["blue"] * 50})
    profiles = describe_clusters(dataset_of(frame), np.repeat([0, 1], 50))
    first, second = profiles.clusters
    assert [t.gist for t in first.standouts] == ["colour = red", "lower x"]  # not "colour = blue"
    assert [t.gist for t in second.standouts] == ["colour = blue", "higher x"]
    assert first.standouts[1].effect == pytest.approx((0 - 5) / frame["x"].std())
