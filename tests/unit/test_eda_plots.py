"""Exploration charts: the numbers inside each figure checked against numpy, pandas and scipy."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.stats.contingency import association

from mlcore.explore import plots as ep


@pytest.fixture
def frame() -> pd.DataFrame:
    rng = np.random.default_rng(0)
    n = 1_000
    kind = rng.choice(["a", "b", "c"], n)
    x = rng.normal(size=n) + (kind == "a")
    frame = pd.DataFrame(
        {
            "x": x,
            "y": 2 * x + rng.normal(size=n),
            "z": rng.exponential(size=n),
            "kind": kind,
            "shade": np.where(rng.random(n) < 0.7, kind, "d"),
        }
    )
    frame.loc[:49, "z"] = np.nan
    frame.loc[10:19, "shade"] = None
    return frame


def bar_values(fig) -> dict[str, np.ndarray]:
    return {trace.name: np.asarray(trace.y, dtype=float) for trace in fig.data}


def test_histogram_counts_every_row(frame):
    fig = ep.distribution(frame, "z", bins=20)
    expected, _ = np.histogram(frame["z"].dropna(), bins=20)
    assert bar_values(fig)["all"].tolist() == expected.tolist()
    assert "50 missing value(s) not shown" in fig.layout.title.text


def test_histogram_split_by_colour_adds_up(frame):
    fig = ep.distribution(frame, "x", color="kind", bins=15)
    bars = bar_values(fig)
    assert set(bars) == {"a", "b", "c"}
    total, _ = np.histogram(frame["x"], bins=15)
    assert sum(bars.values()).tolist() == total.tolist()
    assert bars["a"].sum() == (frame["kind"] == "a").sum()
    shares = bar_values(ep.distribution(frame, "x", color="kind", normalize=True))
    assert all(v.sum() == pytest.approx(1.0) for v in shares.values())


def test_bars_count_labels_with_missing_last(frame):
    fig = ep.distribution(frame, "shade")
    counts = frame["shade"].value_counts()
    assert list(fig.data[0].x) == [*map(str, counts.index), ep.MISSING_LABEL]
    assert fig.data[0].y.tolist() == [*counts.tolist(), 10]


def test_many_labels_are_grouped_as_other():
    frame = pd.DataFrame({"town": [f"t{i % 30}" for i in range(300)]})
    fig = ep.distribution(frame, "town")
    assert len(fig.data[0].x) == ep.MAX_CATEGORIES + 1
    assert fig.data[0].x[-1] == "other (10 labels)" and fig.data[0].y[-1] == 100


def test_box_statistics_per_group(frame):
    fig = ep.box_by_group(frame, "x", "kind")
    box = fig.data[0]
    for i, name in enumerate(box.x):
        values = frame.loc[frame["kind"] == name, "x"].to_numpy()
        q1, median, q3 = np.quantile(values, [0.25, 0.5, 0.75])
        assert (box.q1[i], box.median[i], box.q3[i]) == pytest.approx((q1, median, q3))
        assert box.upperfence[i] == values[values <= q3 + 1.5 * (q3 - q1)].max()
        assert box.lowerfence[i] == values[values >= q1 - 1.5 * (q3 - q1)].min()


def test_violin_uses_a_stated_sample(frame):
    fig = ep.box_by_group(frame, "x", "kind", kind="violin", max_points=200)
    assert sum(len(t.y) for t in fig.data) == 200
    assert "uniform random sample of 200 of 1,000 rows" in fig.layout.title.text


def test_pearson_and_spearman_match_pandas(frame):
    numeric = frame[["x", "y", "z"]]
    pearson = ep.correlation_matrix(frame, ["x", "y", "z"])  # pairwise rows, as pandas does
    assert np.allclose(pearson.to_numpy(), numeric.corr().to_numpy())
    complete = numeric.dropna()
    spearman = ep.correlation_matrix(complete, ["x", "y", "z"], method="spearman")
    assert np.allclose(spearman.to_numpy(), complete.corr(method="spearman").to_numpy())


def test_cramers_v_matches_scipy(frame):
    matrix = ep.correlation_matrix(frame, method="cramers_v")
    assert list(matrix.columns) == ["kind", "shade"]
    table = pd.crosstab(frame["kind"], frame["shade"]).to_numpy()  # crosstab drops missing, as we do
    assert matrix.loc["kind", "shade"] == pytest.approx(association(table, method="cramer"))


def test_heatmap_states_its_sample(frame):
    fig = ep.correlation_heatmap(frame, method="pearson", max_rows=300)
    assert list(fig.data[0].x) == ["x", "y", "z"]
    assert "uniform random sample of 300 of 1,000 rows" in fig.layout.title.text


def test_scatter_samples_uniformly_and_reproducibly(frame):
    fig = ep.scatter(frame, "x", "y", color="kind", max_points=100, seed=1)
    again = ep.scatter(frame, "x", "y", color="kind", max_points=100, seed=1)
    assert sum(len(t.x) for t in fig.data) == 100
    assert [list(t.x) for t in fig.data] == [list(t.x) for t in again.data]
    assert "uniform random sample of 100 of 1,000 rows" in fig.layout.title.text
    small = ep.scatter(frame.head(50), "x", "y")
    assert "all 50 rows" in small.layout.title.text and len(small.data[0].x) == 50


def test_scatter_matrix_draws_the_chosen_columns(frame):
    fig = ep.scatter_matrix(frame, ["x", "y", "z"], color="kind", max_points=300)
    assert [d.label for d in fig.data[0].dimensions] == ["x", "y", "z"]
    assert sum(len(t.dimensions[0].values) for t in fig.data) == 300


def test_missing_patterns_by_hand():
    frame = pd.DataFrame({"a": [1, None, None, 4, 5], "b": ["x", None, "y", "z", None], "c": [1, 2, 3, 4, 5]})
    table = ep.missing_patterns(frame)
    assert list(table.columns) == ["a", "b", "rows"]
    rows = {(bool(r.a), bool(r.b)): r.rows for r in table.itertuples()}
    assert rows == {(False, False): 2, (True, True): 1, (True, False): 1, (False, True): 1}
    assert table["rows"].iloc[0] == 2
    fig = ep.missing_pattern(frame)
    assert list(fig.data[0].x) == ["a (40.0%)", "b (40.0%)"]
    assert "1 complete column(s) not shown" in fig.layout.title.text


def test_no_missing_values_says_so():
    fig = ep.missing_pattern(pd.DataFrame({"a": [1, 2]}))
    assert fig.layout.annotations[0].text == "No missing values"


def test_target_distribution(frame):
    fig = ep.target_distribution(frame, "kind", classification=True)
    counts = frame["kind"].value_counts()
    assert list(fig.data[0].x) == list(counts.index) and fig.data[0].y.tolist() == counts.tolist()
    assert fig.layout.xaxis.type == "category"
    numeric = ep.target_distribution(frame, "y", classification=False)
    assert numeric.data[0].y.sum() == len(frame)


@pytest.mark.parametrize(
    "call",
    [
        lambda f: ep.distribution(f, "nope"),
        lambda f: ep.distribution(f, "x", bins=0),
        lambda f: ep.distribution(f, "x", color="y"),  # 1,000 distinct values cannot be colours
        lambda f: ep.box_by_group(f, "kind", "x"),
        lambda f: ep.box_by_group(f, "x", "kind", kind="pie"),
        lambda f: ep.correlation_matrix(f, method="kendall"),
        lambda f: ep.correlation_matrix(f, ["x", "kind"]),
        lambda f: ep.scatter(f, "x", "y", max_points=0),
        lambda f: ep.scatter_matrix(f, ["x"]),
        lambda f: ep.scatter_matrix(f, ["x", "y", "z", "x", "y", "z", "kind"]),
        lambda f: ep.scatter_matrix(f, ["x", "x"]),
        lambda f: ep.missing_pattern(f, max_patterns=0),
    ],
)
def test_bad_arguments_raise_value_error(frame, call):
    with pytest.raises(ValueError):
        call(frame)


def test_wide_tables_show_a_readable_heatmap():
    wide = pd.DataFrame(np.random.default_rng(0).normal(size=(50, ep.MAX_HEATMAP_COLUMNS + 5)))
    wide.columns = [f"c{i}" for i in wide.columns]
    fig = ep.correlation_heatmap(wide)
    assert len(fig.data[0].x) == ep.MAX_HEATMAP_COLUMNS
    assert (
        f"the first {ep.MAX_HEATMAP_COLUMNS} of {ep.MAX_HEATMAP_COLUMNS + 5} columns" in fig.layout.title.text
    )
