"""Issue 11, defaults that mislead on real data: row numbers as features, wrong one-feature scores,
a guessed target, counts read as classes. One test per bug, on tables shaped like the public ones."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import balanced_accuracy_score
from sklearn.preprocessing import KBinsDiscretizer
from sklearn.utils.class_weight import compute_sample_weight

from mlcore.data.loading import load_path
from mlcore.data.samples import load_sample
from mlcore.dataset import (
    build_dataset,
    guess_target,
    hash_frame,
    set_role,
    set_target,
    set_task,
    target_candidates,
)
from mlcore.explore.alerts import AlertKind, find_alerts
from mlcore.explore.overview import compute_overview
from mlcore.explore.target_view import bin_codes, rank_features, training_half
from mlcore.schema import ColumnType, Role, Task, infer_columns, infer_task

ROW_NUMBER_REASON = "a different whole number on every row, counting up with the rows: a row number"


def _dataset(frame: pd.DataFrame, target: str | None = None):
    return build_dataset(frame, name="t", source="test", content_hash=hash_frame(frame), target=target)


def _housing(n: int = 300, seed: int = 0, sort: bool = True) -> pd.DataFrame:
    """A Boston-housing-like table as R exports it: a `rownames` column 1…N, and (by default) the rows
    sorted by the target, as in the public table that scored "CV R² 1.000"."""
    rng = np.random.default_rng(seed)
    rm = rng.normal(6.3, 0.7, n)
    lstat = rng.gamma(3, 4, n)
    frame = pd.DataFrame(
        {
            "crim": rng.lognormal(0, 1.5, n).round(5),
            "rm": rm.round(3),
            "lstat": lstat.round(2),
            "medv": (9 * rm - 0.6 * lstat - 25 + rng.normal(0, 3, n)).round(1),
        }
    )
    if sort:
        frame = frame.sort_values("medv", kind="stable")
    frame = frame.reset_index(drop=True)
    frame.insert(0, "rownames", np.arange(1, n + 1))
    return frame


def _load_csv(frame: pd.DataFrame, tmp_path: Path, name: str = "table.csv"):
    path = tmp_path / name
    frame.to_csv(path, index=False)
    return load_path(path)


def _types(frame: pd.DataFrame) -> dict[str, ColumnType]:
    return {c.name: c.ctype for c in infer_columns(frame)}


def _leakage(dataset):
    view = rank_features(dataset)
    alerts = find_alerts(dataset, compute_overview(dataset), view)
    return {a.column: a for a in alerts if a.kind is AlertKind.TARGET_LEAKAGE}


# ---------- 9. row numbers are used as features ----------


def test_rownames_column_counting_up_is_an_identifier(tmp_path):
    dataset = set_target(_load_csv(_housing(), tmp_path), "medv")
    info = dataset.column("rownames")
    assert (info.ctype, info.role, info.reason) == (ColumnType.IDENTIFIER, Role.IGNORE, ROW_NUMBER_REASON)
    assert dataset.features == ["crim", "rm", "lstat"]


def test_row_numbers_are_recognised_by_content_whatever_their_name():
    n = 400
    kept = np.sort(np.random.default_rng(1).choice(np.arange(1, 481), size=n, replace=False))
    frame = pd.DataFrame(
        {
            "from_zero": np.arange(n),  # pandas' index written out
            "after_filtering": kept,  # R rownames of a subset: counting up, some numbers skipped
            "counting_down": np.arange(n, 0, -1),
            "value": np.random.default_rng(2).normal(size=n),
        }
    )
    columns = {c.name: c for c in infer_columns(frame)}
    assert columns["from_zero"].reason == ROW_NUMBER_REASON
    assert columns["after_filtering"].reason == (
        "a different whole number on every row, counting up with the rows (a few numbers skipped): "
        "a row number or running id"
    )
    assert columns["counting_down"].reason == (
        "a different whole number on every row, counting down with the rows: a row number"
    )
    assert {name: c.role for name, c in columns.items()} == {
        "from_zero": Role.IGNORE,
        "after_filtering": Role.IGNORE,
        "counting_down": Role.IGNORE,
        "value": Role.FEATURE,
    }


@pytest.mark.parametrize(
    "values",
    [
        pytest.param(np.sort(np.random.default_rng(0).normal(50, 10, 300)), id="sorted continuous"),
        pytest.param(np.arange(300) + 0.5, id="increasing decimals"),
        pytest.param(np.arange(1990, 2021), id="one year per row"),
        pytest.param(
            pd.date_range("2024-01-01", periods=200).strftime("%Y%m%d").astype(int).to_numpy(),
            id="dates written as yyyymmdd",
        ),
        pytest.param(
            pd.date_range("2024-01-01", periods=31).strftime("%Y%m%d").astype(int).to_numpy(),
            id="the days of one month as yyyymmdd",
        ),
        pytest.param(np.arange(1, 11), id="a ten-row table"),
        pytest.param(np.random.default_rng(0).permutation(300) + 1, id="not in row order"),
        pytest.param(np.arange(0, 600, 2), id="even numbers: twice the row number"),
        pytest.param(np.sort(np.random.default_rng(0).integers(18, 90, 300)), id="sorted ages with ties"),
    ],
)
def test_genuine_numeric_columns_are_not_row_numbers(values):
    frame = pd.DataFrame({"x": values, "other": np.zeros(len(values))})
    assert _types(frame)["x"] is ColumnType.NUMERIC


def test_sorted_by_target_row_number_used_as_a_feature_gets_an_order_leakage_alert(tmp_path):
    loaded = set_target(_load_csv(_housing(), tmp_path), "medv")
    assert "rownames" not in _leakage(loaded)  # ignored by default: nothing to warn about
    dataset = set_role(loaded, "rownames", Role.FEATURE)  # the user turns it back into a feature
    alert = _leakage(dataset)["rownames"]
    assert alert.explanation.startswith(
        "The rows look sorted by 'medv', and 'rownames' counts up with the rows: it predicts 'medv' only "
        "through the file's order"
    )
    assert "Ignore 'rownames' on the Data page" in alert.fix
    view = rank_features(dataset)
    assert view.row_order_score > 0.99  # each row's previous row predicts its target almost exactly
    assert alert.value == pytest.approx(view.row_order_score)


def test_order_leakage_needs_rows_sorted_by_the_target(tmp_path):
    shuffled = set_target(_load_csv(_housing(sort=False), tmp_path), "medv")
    dataset = set_role(shuffled, "rownames", Role.FEATURE)
    assert rank_features(dataset).row_order_score < 0
    assert "rownames" not in _leakage(dataset)


def test_a_timestamp_in_a_table_sorted_by_class_predicts_only_through_order():
    rng = np.random.default_rng(3)
    n = 240
    frame = pd.DataFrame(
        {
            "measured_at": np.cumsum(rng.uniform(0.5, 1.5, n)).round(3),  # decimals: not a row number
            "width": rng.normal(size=n),
            "species": np.repeat(["adelie", "chinstrap", "gentoo"], n // 3),
        }
    )
    dataset = _dataset(frame, "species")
    assert dataset.column("measured_at").ctype is ColumnType.NUMERIC
    alerts = _leakage(dataset)
    assert set(alerts) == {"measured_at"}
    assert "'measured_at' counts up with the rows" in alerts["measured_at"].explanation


# ---------- 12. the target view's one-feature scores ----------


def _one_feature_reference(x: np.ndarray, y: np.ndarray, bins: int, is_train: np.ndarray) -> float:
    """A one-feature model built from scikit-learn parts: quantile bins fitted on the training half,
    the class-weighted majority per bin (the choice that maximises balanced accuracy), scored on the
    other half."""
    discretizer = KBinsDiscretizer(
        n_bins=bins, encode="ordinal", strategy="quantile", quantile_method="linear"
    )
    discretizer.fit(x[is_train].reshape(-1, 1))
    binned = discretizer.transform(x.reshape(-1, 1)).ravel().astype(int)
    classes, codes = np.unique(y, return_inverse=True)
    votes = np.zeros((int(binned.max()) + 1, len(classes)))
    np.add.at(votes, (binned[is_train], codes[is_train]), compute_sample_weight("balanced", codes[is_train]))
    return balanced_accuracy_score(codes[~is_train], votes.argmax(axis=1)[binned[~is_train]])


def test_one_feature_balanced_accuracy_is_not_stuck_at_half_on_imbalanced_classes():
    rng = np.random.default_rng(0)
    n = 900
    rare = np.zeros(n, dtype=bool)
    rare[rng.choice(n, size=30, replace=False)] = True  # 29 : 1, as in the public table
    frame = pd.DataFrame(
        {
            "marker": np.where(rare, rng.normal(3, 1, n), rng.normal(0, 1, n)),  # clearly separates
            "noise": rng.normal(size=n),
            "outcome": np.where(rare, "fraud", "ok"),
        }
    )
    view = rank_features(_dataset(frame, "outcome"))
    is_train = training_half(n, view.seed)
    y = frame["outcome"].to_numpy()
    for name in ("marker", "noise"):
        expected = _one_feature_reference(frame[name].to_numpy(), y, view.bins, is_train)
        assert view.relation(name).score == pytest.approx(expected, abs=1e-12)
    assert view.relation("marker").score > 0.85


@pytest.mark.parametrize("coded", [False, True], ids=["labels", "0/1 numbers"])
def test_breast_cancer_one_feature_scores_and_correlations_match_sklearn_by_hand(coded):
    dataset = load_sample("breast_cancer")
    frame = dataset.frame
    positive = (frame["diagnosis"] == "malignant").to_numpy()
    if coded:
        frame = frame.assign(diagnosis=positive.astype(int))
        dataset = build_dataset(frame, name="bc", source="test", content_hash=hash_frame(frame))
        dataset = set_target(dataset, "diagnosis")
    assert dataset.task is Task.CLASSIFICATION
    view = rank_features(dataset)
    assert view.positive_class == (1 if coded else "malignant")
    is_train = training_half(len(frame), view.seed)
    y = frame["diagnosis"].to_numpy()
    for relation in view.relations:
        x = frame[relation.column].to_numpy(dtype=float)
        assert relation.score == pytest.approx(_one_feature_reference(x, y, view.bins, is_train), abs=1e-12)
        assert relation.correlation == pytest.approx(np.corrcoef(x, positive)[0, 1], abs=1e-12)
    assert view.relation("worst perimeter").score > 0.85


def test_correlation_is_blank_where_it_means_nothing():
    iris = rank_features(load_sample("iris"))  # three classes: no order, no correlation
    assert all(r.correlation is None for r in iris.relations)
    assert iris.positive_class is None
    assert iris.table()["correlation"].isna().all()
    digits = rank_features(load_sample("digits"))  # classes written as numbers are still names
    assert all(r.correlation is None for r in digits.relations)
    diabetes = rank_features(load_sample("diabetes"))
    frame = load_sample("diabetes").frame
    assert diabetes.relation("bmi").correlation == pytest.approx(
        np.corrcoef(frame["bmi"], frame["progression"])[0, 1]
    )


def test_a_mostly_one_binary_feature_keeps_its_two_values_apart():
    for flag in (np.r_[np.ones(90), np.zeros(10)], np.r_[np.zeros(90), np.ones(10)]):
        codes = bin_codes(pd.Series(flag), 5)
        assert len(set(codes[flag == 1])) == len(set(codes[flag == 0])) == 1
        assert codes[flag == 1][0] != codes[flag == 0][0]


# ---------- 13. guessing the target ----------


def _diamonds(n: int = 300) -> pd.DataFrame:
    rng = np.random.default_rng(0)
    carat = rng.gamma(2, 0.4, n).round(2)
    x = (6.4 * carat ** (1 / 3)).round(2)
    return pd.DataFrame(
        {
            "carat": carat,
            "cut": rng.choice(["Fair", "Good", "Very Good", "Premium", "Ideal"], n),
            "color": rng.choice(list("DEFGHIJ"), n),
            "clarity": rng.choice(["I1", "SI2", "SI1", "VS2", "VS1", "VVS2", "VVS1", "IF"], n),
            "depth": rng.normal(61.7, 1.4, n).round(1),
            "table": rng.normal(57, 2.2, n).round(0),
            "price": (4000 * carat**1.7 + rng.normal(0, 300, n)).clip(326).round(0).astype(int),
            "x": x,
            "y": (x + rng.normal(0, 0.05, n)).round(2),
            "z": (0.62 * x).round(2),
        }
    )


def test_xyz_dimensions_and_price_do_not_guess_y():
    dataset = _dataset(_diamonds())
    assert dataset.target is None
    guess = guess_target(dataset)
    assert guess.column is None
    assert guess.why == (
        "'y' sits beside 'x' and 'z', so it may be a coordinate or a size rather than what to predict"
    )
    candidates = target_candidates(dataset)
    assert (candidates[0].column, candidates[0].reason) == ("price", "a name often predicted")
    assert [c.column for c in candidates] == ["price", "z", "cut", "color", "clarity"]


def test_two_columns_named_like_targets_are_not_guessed():
    n = 60
    frame = pd.DataFrame(
        {"f": np.arange(n) % 7, "label": ["a", "b"] * (n // 2), "class": ["u", "v", "w"] * 20}
    )
    dataset = _dataset(frame)
    guess = guess_target(dataset)
    assert dataset.target is None and guess.column is None
    assert guess.why == "'label' and 'class' are both named like a target"
    assert [c.column for c in target_candidates(dataset)[:2]] == ["label", "class"]


def test_one_column_named_like_a_target_is_guessed_and_said_to_be_a_guess():
    n = 60
    frame = pd.DataFrame(
        {"x1": np.linspace(0, 1, n), "x2": np.linspace(1, 0, n) ** 2, "y": [0, 1] * (n // 2)}
    )
    dataset = _dataset(frame)
    assert dataset.target == "y"  # 'y' beside numbered features, no 'x' or 'z'
    assert guess_target(dataset).why == "guessed from its name: 'y' is the usual name for what to predict"
    named = _dataset(frame.rename(columns={"y": "Outcome"}))
    assert named.target == "Outcome"
    assert guess_target(named).why == "guessed from its name: 'Outcome' is named like a target"


# ---------- 14. whole numbers that are counts, not classes ----------


def test_count_target_with_gaps_is_regression():
    rng = np.random.default_rng(0)
    n = 300
    frame = pd.DataFrame(
        {
            "hours_online": rng.gamma(2, 3, n).round(1),
            "purchases": rng.choice([0, 1, 2, 3, 7, 12], n, p=[0.4, 0.25, 0.15, 0.1, 0.06, 0.04]),
        }
    )
    dataset = _dataset(frame, "purchases")
    assert dataset.task is Task.REGRESSION
    assert dataset.task_rule == (
        "'purchases' holds whole numbers with gaps (6 distinct values from 0 to 12), like counts or amounts "
        "rather than class codes → regression; choose classification if they are classes"
    )
    assert set_task(dataset, Task.CLASSIFICATION).task is Task.CLASSIFICATION  # the user can still switch


@pytest.mark.parametrize(
    ("codes", "rule"),
    [
        ([0, 1, 2], "'y' holds 3 consecutive whole numbers (0 to 2), like class codes → classification"),
        (
            [1, 2, 3, 4, 5],
            "'y' holds 5 consecutive whole numbers (1 to 5), like class codes → classification",
        ),
        ([-1, 1], "'y' holds two whole numbers (−1 and 1), a yes/no → classification"),
    ],
)
def test_class_codes_stay_classification(codes, rule):
    assert infer_task(pd.Series(codes * 40, name="y")) == (Task.CLASSIFICATION, rule)


def test_whole_numbers_with_too_few_rows_per_value_are_regression():
    task, rule = infer_task(pd.Series([*range(15), 3, 4, 5, 6, 7], name="visits"))
    assert task is Task.REGRESSION
    assert rule == (
        "'visits' holds 15 distinct whole numbers on 20 rows (fewer than 2 rows per value), too few to "
        "learn each as a class → regression"
    )
