"""The instant overview: every statistic checked against pandas or a hand count on small frames."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mlcore.dataset import build_dataset
from mlcore.explore.overview import compute_overview
from mlcore.schema import ColumnType, Role


def dataset_of(frame: pd.DataFrame, target: str | None = None):
    return build_dataset(frame, name="t", source="test", content_hash="h", target=target)


@pytest.fixture
def frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "x": [1.0, 2.0, 2.0, 0.0, np.nan, 10.0, -0.0, 3.0],
            "n": [5, 5, 5, 1, 2, 3, 4, 100],
            "c": ["a", "b", "a", None, "a", "c", "b", "a"],
            "flag": [True, False, True, True, True, False, True, True],
            "when": pd.to_datetime(["2020-01-01", None, "2021-06-01", "2020-01-01"] * 2),
        }
    )


def test_numeric_statistics_match_pandas(frame):
    overview = compute_overview(dataset_of(frame))
    for name in ("x", "n"):
        stats = overview.column(name).numeric
        values = frame[name].dropna()
        assert stats.mean == pytest.approx(values.mean())
        assert stats.std == pytest.approx(values.std())
        assert stats.min == values.min() and stats.max == values.max()
        assert stats.q1 == pytest.approx(values.quantile(0.25))
        assert stats.median == pytest.approx(values.median())
        assert stats.q3 == pytest.approx(values.quantile(0.75))
        assert stats.skew == pytest.approx(values.skew())


def test_counts_zeros_and_top_values_by_hand(frame):
    overview = compute_overview(dataset_of(frame))
    x = overview.column("x")
    assert (x.count, x.missing, x.distinct) == (7, 1, 5)  # 0.0 and -0.0 are one value
    assert x.numeric.zeros == 2
    assert x.top == ((0.0, 2), (2.0, 2))  # only repeated values; ties in sorted order
    assert x.missing_share == pytest.approx(1 / 8)
    c = overview.column("c")
    assert (c.count, c.missing, c.distinct) == (7, 1, 3)
    assert c.top == (("a", 4), ("b", 2), ("c", 1))
    assert c.top_share == pytest.approx(4 / 7)
    assert c.numeric is None
    assert overview.column("flag").top == ((True, 6), (False, 2))
    when = overview.column("when")
    assert (when.count, when.missing, when.distinct) == (6, 2, 2)
    assert when.first.startswith("2020-01-01") and when.last.startswith("2021-06-01")


def test_iqr_outliers_by_hand():
    values = [1, 2, 3, 4, 5, 6, 7, 8, 9, 100.0]
    stats = compute_overview(dataset_of(pd.DataFrame({"v": values}))).column("v").numeric
    q1, q3 = np.quantile(values, [0.25, 0.75])
    assert stats.fences == pytest.approx((q1 - 1.5 * (q3 - q1), q3 + 1.5 * (q3 - q1)))
    assert stats.outliers == 1 and stats.far_outliers == 1  # 100 is far beyond Q3 + 3·IQR


def test_dataset_summary(frame):
    doubled = pd.concat([frame, frame.iloc[:3]], ignore_index=True)
    overview = compute_overview(dataset_of(doubled))
    summary = overview.dataset
    assert (summary.rows, summary.columns) == (11, 5)
    assert summary.duplicate_rows == 3 == doubled.duplicated().sum()
    assert summary.missing_cells == int(doubled.isna().sum().sum())
    assert summary.memory == int(doubled.memory_usage(deep=True).sum())
    assert dict(summary.type_counts) == {"numeric": 2, "categorical": 1, "boolean": 1, "datetime": 1}


def test_types_and_roles_come_from_the_schema(frame):
    overview = compute_overview(dataset_of(frame, target="c"))
    assert overview.column("c").role is Role.TARGET
    assert overview.column("when").ctype is ColumnType.DATETIME
    table = overview.table()
    assert list(table["column"]) == list(frame.columns)
    assert table.loc[table["column"] == "c", "top values"].item() == "a (4), b (2), c (1)"


def test_all_missing_and_text_value_kinds():
    frame = pd.DataFrame({"empty": [np.nan] * 4, "mixed": ["1", "2", "x", 5]})
    overview = compute_overview(dataset_of(frame))
    empty = overview.column("empty")
    assert (empty.count, empty.missing, empty.distinct, empty.numeric) == (0, 4, 0, None)
    mixed = overview.column("mixed")
    assert mixed.value_kinds == ("int", "str")
    assert mixed.numeric_text_share == pytest.approx(2 / 4)


def test_large_random_frame_matches_pandas_describe():
    rng = np.random.default_rng(1)
    frame = pd.DataFrame({"a": rng.normal(size=20_000), "b": rng.exponential(size=20_000)})
    frame.loc[rng.random(20_000) < 0.1, "a"] = np.nan
    overview = compute_overview(dataset_of(frame))
    described = frame.describe()
    for name in frame.columns:
        stats = overview.column(name).numeric
        got = [overview.column(name).count, stats.mean, stats.std, stats.min, stats.q1, stats.median]
        got += [stats.q3, stats.max]
        assert got == pytest.approx(described[name].tolist())


rows = st.lists(
    st.tuples(
        st.sampled_from([0.0, -0.0, 1.5, np.nan]), st.sampled_from(["a", "b", None]), st.integers(0, 2)
    ),
    min_size=1,
    max_size=40,
)


@settings(max_examples=60, deadline=None)
@given(rows)
def test_duplicate_rows_agree_with_pandas(data):
    frame = pd.DataFrame(data, columns=["f", "s", "i"])
    assert compute_overview(dataset_of(frame)).dataset.duplicate_rows == frame.duplicated().sum()
