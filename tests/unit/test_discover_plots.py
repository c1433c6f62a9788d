"""Discover's figures: each draws exactly the numbers it is given, samples and switches to WebGL as
documented, escapes user strings (plotly renders HTML in labels and hover text), and refuses bad
arguments with a ValueError."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import pytest
from test_discover_data import blobs, dataset_of, mixed, mixed_classes

from mlcore.discover import plots
from mlcore.discover.anomalies import Anomalies, AnomalousRow
from mlcore.discover.budget import DiscoverBudget
from mlcore.discover.choose_k import CRITERIA, KChoice, KScore
from mlcore.discover.clustering import NOISE, cluster_labels
from mlcore.discover.dendrogram import Dendrogram, dendrogram
from mlcore.discover.prepared import prepare
from mlcore.discover.profiles import ClusterProfiles, describe_clusters
from mlcore.discover.projections import PcaSummary, Projection
from mlcore.discover.silhouettes import Silhouettes

MARKUP = "<b>x</b>"
ESCAPED = "&lt;b&gt;x&lt;/b&gt;"


def _choice(bic: bool = False) -> KChoice:
    scores = tuple(
        KScore(k, wcss, sil, ch, db, k * 10.0 if bic else math.nan)
        for k, wcss, sil, ch, db in [
            (2, 90.0, 0.5, 10.0, 1.0),
            (3, 30.0, 0.7, 30.0, 0.5),
            (4, 25.0, 0.6, 25.0, 0.7),
        ]
    )
    return KChoice("kmeans", scores, 3, 3, {"silhouette": 3}, "k = 3: …")


def _projection(n: int, dimensions: int = 3) -> Projection:
    coordinates = np.random.default_rng(0).normal(size=(n, dimensions))
    axes = tuple(f"PC{i + 1}" for i in range(dimensions))
    return Projection("PCA", coordinates, np.arange(n), axes)


def _pca(columns: tuple[str, ...] = (MARKUP, "y", "z")) -> PcaSummary:
    loadings = pd.DataFrame(
        [[0.8, 0.1, 0.59], [0.1, -0.9, 0.42], [0.59, 0.42, -0.69]],
        index=list(columns),
        columns=["PC1", "PC2", "PC3"],
    )
    return PcaSummary(np.array([0.6, 0.3, 0.1]), loadings, _projection(40))


def _drawn(fig: go.Figure) -> int:
    return sum(len(trace.x) for trace in fig.data)


# ---------- how many clusters ----------


def test_k_selection_draws_each_score_against_k_and_marks_the_recommended_k():
    choice = _choice()
    fig = plots.k_selection_figure(choice)
    drawn = [f for f in CRITERIA if f != "bic"]  # every BIC is NaN for k-means: no panel
    assert len(fig.data) == len(drawn) == 4
    for trace, field in zip(fig.data, drawn, strict=True):
        assert list(trace.x) == [2, 3, 4]
        assert list(trace.y) == [getattr(s, field) for s in choice.scores]
        assert trace.marker.color[1] != trace.marker.color[0] == trace.marker.color[2]  # k = 3 stands out
    assert [shape.x0 for shape in fig.layout.shapes] == [3] * 4
    assert "k = 3 recommended" in fig.layout.title.text


def test_k_selection_draws_a_mixtures_bic():
    fig = plots.k_selection_figure(_choice(bic=True))
    assert len(fig.data) == 5 and list(fig.data[-1].y) == [20.0, 30.0, 40.0]


def test_k_selection_needs_two_scores():
    choice = _choice()
    with pytest.raises(ValueError, match="at least two k"):
        plots.k_selection_figure(KChoice("kmeans", choice.scores[:1], 2, 2, {}, ""))


# ---------- PCA ----------


def test_explained_variance_draws_each_components_share_and_the_running_total():
    fig = plots.explained_variance_figure(_pca())
    bars, total = fig.data
    assert list(bars.x) == ["PC1", "PC2", "PC3"] and list(bars.y) == [0.6, 0.3, 0.1]
    np.testing.assert_allclose(total.y, [0.6, 0.9, 1.0])


def test_explained_variance_draws_at_most_max_components_and_says_how_many_are_left():
    fig = plots.explained_variance_figure(_pca(), max_components=2)
    assert list(fig.data[0].y) == [0.6, 0.3]
    assert fig.layout.title.subtitle.text == "1 later component not drawn"  # regression: "1 … components"
    with pytest.raises(ValueError, match="at least one component"):
        plots.explained_variance_figure(_pca(), max_components=0)


def test_a_biplot_draws_an_arrow_along_each_strongest_columns_loadings_with_its_name_escaped():
    fig = plots.biplot_figure(_pca(), arrows=2)
    arrows = {a.text: (a.x, a.y) for a in fig.layout.annotations}
    assert set(arrows) == {ESCAPED, "y"}  # z weighs least on PC1 and PC2
    x, y = arrows[ESCAPED]
    assert x / y == pytest.approx(0.8 / 0.1)  # the arrow points along the loadings
    reach = np.abs(_pca().projection.coordinates[:, :2]).max()
    assert max(math.hypot(*xy) for xy in arrows.values()) == pytest.approx(0.9 * reach)


def test_a_biplot_refuses_negative_arrows_and_a_single_component():
    with pytest.raises(ValueError, match="negative"):
        plots.biplot_figure(_pca(), arrows=-1)
    pca = _pca()
    flat = PcaSummary(pca.explained, pca.loadings, _projection(40, dimensions=1))
    with pytest.raises(ValueError, match="two components"):
        plots.biplot_figure(flat)


# ---------- scatters ----------


def test_a_small_scatter_is_svg_and_draws_every_row_at_its_coordinates():
    projection = _projection(40)
    fig = plots.projection_figure(projection)
    (trace,) = fig.data
    assert type(trace) is go.Scatter
    rows = list((trace.customdata[:, 0] - 1).astype(int))
    assert sorted(rows) == list(range(40))
    np.testing.assert_allclose(trace.x, projection.coordinates[rows, 0])
    np.testing.assert_allclose(trace.y, projection.coordinates[rows, 1])


def test_from_webgl_from_points_the_scatter_is_webgl_and_at_most_max_points_are_drawn():
    n = plots.WEBGL_FROM + 500
    fig = plots.projection_figure(_projection(n))
    assert type(fig.data[0]) is go.Scattergl and _drawn(fig) == n
    fig = plots.projection_figure(_projection(n), max_points=plots.WEBGL_FROM - 1)
    assert type(fig.data[0]) is go.Scatter and _drawn(fig) == plots.WEBGL_FROM - 1
    assert fig.layout.title.subtitle.text == f"{plots.WEBGL_FROM - 1:,} of {n:,} rows drawn."


def test_a_scatter_drawn_in_three_dimensions():
    projection = _projection(40)
    (trace,) = plots.projection_figure(projection, dimensions=3).data
    assert type(trace) is go.Scatter3d
    rows = list((trace.customdata[:, 0] - 1).astype(int))
    np.testing.assert_allclose(trace.z, projection.coordinates[rows, 2])


def test_clusters_are_coloured_one_trace_each_in_label_order_with_noise_grey():
    labels = np.tile([1, 0, NOISE, 2], 10)
    fig = plots.projection_figure(_projection(40), cluster_labels(labels))
    assert [t.name for t in fig.data] == ["cluster 0", "cluster 1", "cluster 2", "noise"]
    assert [len(t.x) for t in fig.data] == [10, 10, 10, 10]
    assert fig.data[-1].marker.color == plots.NOISE_COLOUR
    assert fig.data[0].hovertemplate == "row %{customdata[0]:,}<br>colour: %{fullData.name}<extra></extra>"


def test_a_number_with_many_values_is_coloured_on_a_scale():
    colour_by = pd.Series(np.arange(40.0) * 2, name="size")
    (trace,) = plots.projection_figure(_projection(40), colour_by).data
    rows = list((trace.customdata[:, 0] - 1).astype(int))
    np.testing.assert_allclose(trace.marker.color, colour_by.to_numpy()[rows])
    assert trace.marker.showscale


@pytest.mark.parametrize(("levels", "other"), [(12, "other (2 levels)"), (11, "other (1 level)")])
def test_beyond_max_levels_the_rarer_levels_share_one_trace(levels: int, other: str):
    colour_by = pd.Series([f"l{i % levels}" for i in range(44)])
    fig = plots.projection_figure(_projection(44), colour_by)
    assert len(fig.data) == plots.MAX_LEVELS + 1 and fig.data[-1].name == other
    assert _drawn(fig) == 44


def test_hover_text_legend_and_title_escape_html_in_column_names_and_values():
    colour_by = pd.Series(["<i>a</i>", "b"] * 20, name=MARKUP)
    hover = pd.DataFrame({"<u>h</u>": ["<s>v</s>"] * 40})
    fig = plots.projection_figure(_projection(40), colour_by, hover)
    trace = fig.data[0]
    template = f"row %{{customdata[0]:,}}<br>{ESCAPED}: %{{fullData.name}}<br>%{{text}}<extra></extra>"
    assert trace.hovertemplate == template  # the colour's level is the trace's (escaped) name
    assert set(trace.text) == {"&lt;u&gt;h&lt;/u&gt;: &lt;s&gt;v&lt;/s&gt;"}
    assert trace.name == "&lt;i&gt;a&lt;/i&gt;"
    assert fig.layout.title.text == f"PCA map, coloured by {ESCAPED}"


def test_a_scatter_refuses_bad_arguments():
    projection = _projection(40, dimensions=2)
    with pytest.raises(ValueError, match="has 2 dimensions"):
        plots.projection_figure(projection, dimensions=3)
    with pytest.raises(ValueError, match="max_points"):
        plots.projection_figure(projection, max_points=0)
    with pytest.raises(ValueError, match="colour_by needs one value per row"):
        plots.projection_figure(projection, pd.Series(["a"] * 39))


# ---------- clusters ----------


def _profiles() -> ClusterProfiles:
    frame = mixed().frame.rename(columns={"a": MARKUP})
    return describe_clusters(dataset_of(frame, target="label"), mixed_classes())


def test_the_profile_heatmap_draws_the_profiles_differences_and_escaped_words():
    profiles = _profiles()
    (heatmap,) = plots.profile_heatmap(profiles).data
    np.testing.assert_allclose(heatmap.z, profiles.heatmap.to_numpy())
    assert list(heatmap.x) == [ESCAPED, *profiles.heatmap.columns[1:]]
    assert list(heatmap.y) == ["cluster 0", "cluster 1", "cluster 2"]
    np.testing.assert_array_equal(heatmap.customdata[:, 1:], profiles.cells.iloc[:, 1:].to_numpy())
    assert heatmap.customdata[0, 0] == profiles.cells.iloc[0, 0]  # numbers: nothing to escape
    assert heatmap.zmax == -heatmap.zmin == np.abs(profiles.heatmap.to_numpy()).max()


def test_the_profile_heatmap_keeps_the_columns_that_differ_most():
    profiles = _profiles()
    fig = plots.profile_heatmap(profiles, max_columns=2)
    strongest = profiles.heatmap.abs().max().nlargest(2).index
    assert list(fig.data[0].x) == [c for c in profiles.heatmap.columns if c in strongest]
    more = len(profiles.heatmap.columns) - 2
    assert fig.layout.title.subtitle.text.endswith(f"; {more} columns that differ less not drawn")
    all_but_one = plots.profile_heatmap(profiles, max_columns=more + 1)
    assert all_but_one.layout.title.subtitle.text.endswith(
        "; 1 column that differs less not drawn"
    )  # regression


def test_the_profile_heatmap_refuses_nothing_to_draw_and_no_column():
    with pytest.raises(ValueError, match="no column to draw"):
        plots.profile_heatmap(ClusterProfiles((), None, pd.DataFrame(), pd.DataFrame()))
    with pytest.raises(ValueError, match="at least one column"):
        plots.profile_heatmap(_profiles(), max_columns=0)


def test_silhouettes_are_drawn_sorted_within_each_cluster_with_the_mean_dashed():
    values = np.array([0.1, 0.5, 0.3, -0.2, 0.8])
    silhouettes = Silhouettes(values, np.array([0, 0, 0, 1, 1]), np.arange(5))
    fig = plots.silhouette_figure(silhouettes)
    assert [t.name for t in fig.data] == ["cluster 0", "cluster 1"]
    assert list(fig.data[0].x) == [0.1, 0.3, 0.5] and list(fig.data[1].x) == [-0.2, 0.8]
    assert fig.layout.shapes[0].x0 == pytest.approx(0.3)
    with pytest.raises(ValueError, match="No silhouettes"):
        plots.silhouette_figure(Silhouettes(np.array([]), np.array([]), np.array([])))


def test_the_dendrogram_draws_every_link_and_the_cut_when_k_is_given():
    tree = dendrogram(prepare(blobs(80)[0]), k=3, budget=DiscoverBudget(dendrogram_rows=80))
    fig = plots.dendrogram_figure(tree)
    (links,) = fig.data
    assert np.isnan(links.x[4::5]).all() and np.isnan(links.y[4::5]).all()  # one gap after each link
    np.testing.assert_array_equal(np.reshape(links.x, (-1, 5))[:, :4], tree.xs)
    np.testing.assert_array_equal(np.reshape(links.y, (-1, 5))[:, :4], tree.heights)
    assert [shape.y0 for shape in fig.layout.shapes] == [tree.cut]
    assert list(fig.layout.xaxis.ticktext) == list(tree.leaves)
    uncut = dendrogram(prepare(blobs(80)[0]), budget=DiscoverBudget(dendrogram_rows=80))
    assert plots.dendrogram_figure(uncut).layout.shapes == ()


def test_the_dendrogram_refuses_a_tree_without_merges():
    empty = Dendrogram("ward", np.empty((0, 4)), np.empty((0, 4)), (), None, None, np.arange(1))
    with pytest.raises(ValueError, match="no merge"):
        plots.dendrogram_figure(empty)


# ---------- anomalies ----------


def _anomalies() -> Anomalies:
    scores = np.array([0.4, 0.5, 0.45, 0.9, 0.41])
    top = tuple(AnomalousRow(p, p + 1, float(scores[p]), (), "") for p in (3, 1))
    return Anomalies("isolation_forest", scores, np.arange(5), top, "isolation score")


def test_anomaly_scores_are_a_histogram_with_the_listed_rows_marked():
    histogram, listed = plots.anomaly_score_figure(_anomalies()).data
    np.testing.assert_array_equal(histogram.x, [0.4, 0.5, 0.45, 0.9, 0.41])
    assert list(listed.x) == [0.9, 0.5] and list(listed.customdata) == ["4", "2"]


def test_anomaly_scores_refuse_too_few_bins_and_no_scores():
    with pytest.raises(ValueError, match="two bins"):
        plots.anomaly_score_figure(_anomalies(), bins=1)
    empty = Anomalies("lof", np.array([]), np.array([], int), (), "local outlier factor")
    with pytest.raises(ValueError, match="No scores"):
        plots.anomaly_score_figure(empty)


def test_hover_numbers_travel_as_numbers_and_text_is_left_out_of_large_maps():
    n = plots.TEXT_HOVER_POINTS + 1
    hover = pd.DataFrame({"age": np.arange(n) * 0.5, "city": ["Oslo"] * n})
    (trace,) = plots.projection_figure(_projection(n), hover=hover, max_points=n).data
    rows = (trace.customdata[:, 0] - 1).astype(int)
    np.testing.assert_array_equal(trace.customdata[:, 1], hover["age"].to_numpy()[rows])
    assert trace.hovertemplate == "row %{customdata[0]:,}<br>age: %{customdata[1]:.4~g}<extra></extra>"
    assert trace.text is None
    subtitle = plots.projection_figure(_projection(n), hover=hover, max_points=n).layout.title.subtitle.text
    assert subtitle == f"With more than {plots.TEXT_HOVER_POINTS:,} points, hover leaves out city."
    (small,) = plots.projection_figure(_projection(n), hover=hover, max_points=n - 1).data
    assert set(small.text) == {"city: Oslo"}


def test_rows_missing_a_categorical_colour_are_drawn_as_missing():
    """Regression: a pandas Categorical colour column dropped its missing rows from the map."""
    colour_by = pd.Series(pd.Categorical(["a", "b", None, "a"] * 10), name="kind")
    fig = plots.projection_figure(_projection(40), colour_by)
    assert [t.name for t in fig.data] == ["a", "b", "(missing)"] and _drawn(fig) == 40
