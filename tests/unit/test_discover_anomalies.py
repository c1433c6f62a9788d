"""Rows unlike the others: the scores are scikit-learn's, a planted outlier comes first with the column
that makes it so, each value's surprise is computed as documented, and bad requests are plain errors."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from sklearn.ensemble import IsolationForest
from sklearn.neighbors import LocalOutlierFactor
from test_discover_data import SEED, dataset_of, hand_sample, mixed, with_outlier

from mlcore.discover.anomalies import find_anomalies
from mlcore.discover.budget import DiscoverBudget
from mlcore.discover.errors import DiscoverError
from mlcore.discover.prepared import prepare

OUTLIER = 17  # the row `with_outlier` moves


@pytest.mark.parametrize("key", ["isolation_forest", "lof"])
def test_a_planted_outlier_is_the_top_row_and_its_sentence_names_the_column(key: str):
    dataset = with_outlier(OUTLIER)
    top = find_anomalies(dataset, prepare(dataset), key, top=3).top
    assert top[0].position == OUTLIER and top[0].row == OUTLIER + 1
    assert top[0].unusual[0].column == "b"
    assert top[0].sentence.startswith(f"Row {OUTLIER + 1} (score ")
    assert "`b` = " in top[0].sentence and "robust sd above the median" in top[0].sentence
    assert [r.score for r in top] == sorted((r.score for r in top), reverse=True)


def test_lof_scores_are_minus_scikit_learns_negative_outlier_factor():
    dataset = with_outlier()
    prepared = prepare(dataset)
    anomalies = find_anomalies(dataset, prepared, "lof", {"n_neighbors": 15})
    lof = LocalOutlierFactor(n_neighbors=15).fit(prepared.matrix)
    np.testing.assert_allclose(anomalies.scores, -lof.negative_outlier_factor_)
    np.testing.assert_array_equal(anomalies.rows, np.arange(300))
    assert anomalies.score_name == "local outlier factor" and anomalies.note == ""


def test_isolation_scores_are_minus_scikit_learns_score_samples_with_the_seed():
    dataset = with_outlier()
    prepared = prepare(dataset)
    anomalies = find_anomalies(dataset, prepared, "isolation_forest", {"n_estimators": 50}, seed=4)
    forest = IsolationForest(n_estimators=50, random_state=4).fit(prepared.matrix)
    np.testing.assert_allclose(anomalies.scores, -forest.score_samples(prepared.matrix))
    assert anomalies.score_name == "isolation score"
    top = np.argsort(-anomalies.scores, kind="stable")[:10]
    assert [r.position for r in anomalies.top] == list(top)


def test_a_capped_lof_scores_a_stated_sample():
    dataset = with_outlier()
    prepared = prepare(dataset)
    anomalies = find_anomalies(dataset, prepared, "lof", seed=2, budget=DiscoverBudget(lof_rows=100))
    rows = hand_sample(300, 100, seed=2)
    np.testing.assert_array_equal(anomalies.rows, rows)
    lof = LocalOutlierFactor(n_neighbors=20).fit(prepared.matrix[rows])
    np.testing.assert_allclose(anomalies.scores, -lof.negative_outlier_factor_)
    assert {r.position for r in anomalies.top} <= set(rows)
    assert anomalies.note == (
        "Local Outlier Factor was fitted on a random sample of 100 of 300 rows, since it compares every row "
        "with its neighbours."
    )


def test_a_numbers_surprise_is_its_distance_from_the_median_in_robust_sds():
    dataset = with_outlier()
    anomalies = find_anomalies(dataset, prepare(dataset), top=1)
    b = dataset.frame["b"]
    robust_sd = 1.4826 * (b - b.median()).abs().median()
    (value,) = [v for v in anomalies.top[0].unusual if v.column == "b"]
    assert value.surprise == pytest.approx((b[OUTLIER] - b.median()) / robust_sd)


def test_a_rare_levels_surprise_is_the_normal_distance_as_rare_and_the_sentence_says_its_share():
    frame = mixed().frame.copy()
    frame.loc[5, "colour"] = "purple"
    dataset = dataset_of(frame, target="label")
    anomalies = find_anomalies(dataset, prepare(dataset), top=300)
    (row,) = [r for r in anomalies.top if r.position == 5]
    assert row.unusual[0].column == "colour" and row.unusual[0].value == "purple"
    assert row.unusual[0].surprise == pytest.approx(stats.norm.isf(1 / 300 / 2))
    assert "`colour` = purple, as in only 0.3% of rows" in row.sentence


def test_a_row_rare_only_in_its_combination_of_values_says_so():
    rng = np.random.default_rng(SEED)
    x = rng.normal(0, 1, 200)
    frame = pd.DataFrame({"x": x, "y": x + rng.normal(0, 0.05, 200)})
    frame.loc[0, ["x", "y"]] = [1.2, -1.2]  # each value ordinary, together unlike any other row
    dataset = dataset_of(frame)
    (row,) = find_anomalies(dataset, prepare(dataset), "lof", top=1).top
    assert row.position == 0
    assert row.sentence.endswith("no single value stands out: it is the combination that is rare.")


# ---------- bad requests ----------


def test_listing_no_row_is_a_plain_error():
    dataset = with_outlier()
    with pytest.raises(DiscoverError, match="at least one anomalous row"):
        find_anomalies(dataset, prepare(dataset), top=0)


def test_an_unknown_detector_or_setting_is_a_plain_error():
    dataset = with_outlier()
    prepared = prepare(dataset)
    with pytest.raises(DiscoverError, match="no anomaly detector called 'svm'") as raised:
        find_anomalies(dataset, prepared, "svm")
    assert "isolation_forest" in raised.value.hint
    with pytest.raises(DiscoverError, match="Local Outlier Factor has no setting called 'k'"):
        find_anomalies(dataset, prepared, "lof", {"k": 3})


def test_more_lof_neighbours_than_rows_is_a_plain_error():
    dataset = with_outlier()
    with pytest.raises(DiscoverError, match="compares each row with 150 neighbours, and there are only 100"):
        find_anomalies(
            dataset, prepare(dataset), "lof", {"n_neighbors": 150}, budget=DiscoverBudget(lof_rows=100)
        )
