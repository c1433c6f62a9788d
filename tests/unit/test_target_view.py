"""Features ranked by their relation to the target, checked against sklearn and hand-built signals."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import mutual_info_score

from mlcore.dataset import build_dataset
from mlcore.errors import TargetError
from mlcore.explore.target_view import bin_codes, mutual_information, rank_features


def make(frame: pd.DataFrame, target: str | None):
    return build_dataset(frame, name="t", source="test", content_hash="h", target=target)


@pytest.fixture
def frame() -> pd.DataFrame:
    rng = np.random.default_rng(0)
    n = 2_000
    y = rng.integers(0, 2, n)
    return pd.DataFrame(
        {
            "signal": y + rng.normal(scale=0.5, size=n),
            "colour": np.where(rng.random(n) < 0.8, np.where(y == 1, "red", "blue"), "green"),
            "noise": rng.normal(size=n),
            "y": np.where(y == 1, "yes", "no"),
        }
    )


def test_mutual_information_equals_sklearn_on_labels(frame):
    x = bin_codes(frame["colour"], 10)
    y = pd.factorize(frame["y"])[0]
    assert mutual_information(x, y) == pytest.approx(mutual_info_score(frame["colour"], frame["y"]))


def test_bins_keep_small_sets_of_values_and_give_missing_its_own_code():
    codes = bin_codes(pd.Series([0.0, 1.0, 1.0, np.nan, 2.0, 0.0]), 5)
    assert len(set(codes[[0, 1, 4]])) == 3  # three distinct values stay apart
    assert codes[0] == codes[5] and codes[1] == codes[2]
    assert codes[3] not in codes[[0, 1, 2, 4, 5]]
    labels = bin_codes(pd.Series(["a", "b", "c", "d", "a", None]), 3)  # a + b kept, the rest "other"
    assert labels[0] == labels[4] and labels[2] == labels[3] and len(set(labels)) == 4


def test_informative_features_rank_above_noise(frame):
    view = rank_features(make(frame, "y"), seed=0)
    assert view.top(3)[-1] == "noise"
    assert view.relation("noise").mutual_information < 0.01
    assert view.relation("signal").score > 0.8  # held-out balanced accuracy of the one-feature model
    assert view.baseline == 0.5 and view.score_name == "balanced accuracy"
    assert dict(view.class_counts) == frame["y"].value_counts().to_dict()
    assert 0 < view.relation("signal").uncertainty_explained < 1


def test_a_copy_of_the_target_scores_perfectly(frame):
    frame["copy"] = frame["y"]
    relation = rank_features(make(frame, "y")).relation("copy")
    assert relation.score == 1.0
    assert relation.uncertainty_explained == pytest.approx(1.0)


def test_regression_scores_and_correlation(frame):
    frame["price"] = 3 * frame["signal"] + np.random.default_rng(1).normal(scale=0.1, size=len(frame))
    view = rank_features(make(frame, "price"))
    assert view.score_name == "R²"
    assert view.relation("signal").correlation == pytest.approx(np.corrcoef(frame.signal, frame.price)[0, 1])
    assert view.relation("signal").score > 0.9
    assert view.relation("colour").correlation is None


def test_large_tables_use_a_seeded_sample(frame):
    view = rank_features(make(frame, "y"), seed=3, max_rows=500)
    again = rank_features(make(frame, "y"), seed=3, max_rows=500)
    assert (view.rows_used, view.rows_total, view.sampled) == (500, 2_000, True)
    assert view.relations == again.relations


def test_rows_without_a_target_are_left_out(frame):
    frame.loc[:99, "y"] = None
    assert rank_features(make(frame, "y")).rows_used == 1_900


def test_no_target_is_a_plain_error(frame):
    with pytest.raises(TargetError, match="No target"):
        rank_features(make(frame.drop(columns="y"), None))
