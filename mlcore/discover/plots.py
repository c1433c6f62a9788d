"""Figures of the Discover page: pure functions from Discover's results to plotly figures.

Every figure is drawn from a result already computed, so a page rerun only redraws. Scatters draw at
most `max_points` rows (a stated random sample, in WebGL beyond `WEBGL_FROM` points) and show each
row's number on hover. User strings (column names, levels) are HTML-escaped, since plotly renders a
subset of HTML in labels and hover text. Bad arguments raise `ValueError`.
"""

from __future__ import annotations

import html
import math
from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from mlcore.discover.anomalies import Anomalies
from mlcore.discover.budget import BUDGET
from mlcore.discover.choose_k import CRITERIA, KChoice
from mlcore.discover.clustering import NOISE, cluster_name
from mlcore.discover.columns import MISSING
from mlcore.discover.dendrogram import Dendrogram
from mlcore.discover.prepared import sample_rows
from mlcore.discover.profiles import ClusterProfiles
from mlcore.discover.projections import PcaSummary, Projection
from mlcore.discover.silhouettes import Silhouettes
from mlcore.evaluate.plots import HEIGHT, TITLED_MARGIN, colour, layout
from mlcore.formatting import plural

WEBGL_FROM = 1_000  # points from which a 2-D scatter is drawn with WebGL
TEXT_HOVER_POINTS = (
    20_000  # text values (beyond the colouring category) shown on hover up to this many points
)
MAX_LEVELS = 10  # levels coloured apart; the rarer ones share one colour as "other"
CONTINUOUS_FROM = 13  # a number column with at least this many values is coloured on a scale
NOISE_COLOUR = "#999999"
OTHER = "other"
_GUIDE = {"color": "#999999", "dash": "dash", "width": 1}
_SCORE_AXES = {  # score: axis title
    "wcss": "sum of squares (lower; look for the elbow)",
    "silhouette": "silhouette (higher is better)",
    "calinski_harabasz": "Calinski–Harabasz (higher is better)",
    "davies_bouldin": "Davies–Bouldin (lower is better)",
    "bic": "BIC (lower is better)",
}


def _text(value: object) -> str:
    return html.escape(str(value))


# ---------- how many clusters ----------


def k_selection_figure(choice: KChoice) -> go.Figure:
    """Each score against k in a panel of its own, the recommended k marked in every panel."""
    if len(choice.scores) < 2:
        raise ValueError("Choosing k needs the scores of at least two k.")
    shown = [f for f in CRITERIA if not all(math.isnan(getattr(s, f)) for s in choice.scores)]
    columns = 3 if len(shown) > 2 else len(shown)
    rows = math.ceil(len(shown) / columns)
    fig = make_subplots(rows, columns, subplot_titles=[CRITERIA[f][0] for f in shown], vertical_spacing=0.22)
    for i, field in enumerate(shown):
        row, col = divmod(i, columns)
        values = [getattr(s, field) for s in choice.scores]
        fig.add_scatter(
            x=choice.ks,
            y=values,
            mode="lines+markers",
            line={"color": colour(0), "width": 2},
            marker={
                "color": [colour(1) if k == choice.recommended else colour(0) for k in choice.ks],
                "size": 9,
            },
            hovertemplate=f"k = %{{x}}<br>{CRITERIA[field][0]}: %{{y:.4g}}<extra></extra>",
            row=row + 1,
            col=col + 1,
        )
        fig.add_vline(x=choice.recommended, line=_GUIDE, row=row + 1, col=col + 1)
        fig.update_yaxes(title_text=_SCORE_AXES[field], title_font={"size": 11}, row=row + 1, col=col + 1)
    layout(
        fig,
        f"How many clusters: k = {choice.recommended} recommended",
        "",
        "",
        "dashed: the recommended k",
        showlegend=False,
        margin={**TITLED_MARGIN, "t": TITLED_MARGIN["t"] + 30},  # the subtitle above the panels' titles,
        height=HEIGHT * rows,
    )
    fig.update_xaxes(title_text="k", dtick=1)
    return fig


# ---------- PCA ----------


def explained_variance_figure(pca: PcaSummary, max_components: int = 20) -> go.Figure:
    """The share of variance each component explains (bars) and the running total (line)."""
    if max_components < 1:
        raise ValueError("Show at least one component.")
    shown = min(max_components, len(pca.explained))
    names = list(pca.loadings.columns[:shown])
    fig = go.Figure()
    fig.add_bar(
        x=names,
        y=pca.explained[:shown],
        name="this component",
        marker_color=colour(0),
        hovertemplate="%{x}: %{y:.1%} of the variance<extra></extra>",
    )
    fig.add_scatter(
        x=names,
        y=pca.cumulative[:shown],
        mode="lines+markers",
        name="running total",
        line={"color": colour(1), "width": 2},
        hovertemplate="up to %{x}: %{y:.1%}<extra></extra>",
    )
    more = len(pca.explained) - shown
    layout(
        fig,
        "Variance explained by each principal component",
        "component",
        "share of the variance",
        f"{plural(more, 'later component')} not drawn" if more else "",
    )
    fig.update_yaxes(range=[0, 1.02], tickformat=".0%")
    fig.update_xaxes(type="category")
    return fig


def biplot_figure(pca: PcaSummary, colour_by: pd.Series | None = None, arrows: int = 8) -> go.Figure:
    """The drawn rows on the first two components, with an arrow for each of the `arrows` prepared
    columns that weigh most in them (arrows scaled to the points: their lengths compare with each other)."""
    if arrows < 0:
        raise ValueError("arrows cannot be negative.")
    if pca.projection.dimensions < 2:
        raise ValueError("A biplot needs two components.")
    fig = projection_figure(pca.projection, colour_by)
    two = pca.loadings.iloc[:, :2]
    strongest = (two**2).sum(axis=1).sort_values(ascending=False).index[:arrows]
    reach = np.abs(pca.projection.coordinates[:, :2]).max()
    scale = 0.9 * reach / max(np.sqrt((two.loc[strongest] ** 2).sum(axis=1)).max(), 1e-12) if arrows else 1.0
    for name in strongest:
        x, y = two.loc[name] * scale
        fig.add_annotation(
            x=x, y=y, ax=0, ay=0, xref="x", yref="y", axref="x", ayref="y", text=_text(name),
            showarrow=True, arrowhead=2, arrowwidth=1.5, arrowcolor="#333333", font={"size": 11},
        )  # fmt: skip
    fig.update_layout(title_text="Biplot: rows and the columns that shape the first two components")
    return fig


# ---------- scatters of projections ----------


def projection_figure(
    projection: Projection,
    colour_by: pd.Series | None = None,
    hover: pd.DataFrame | None = None,
    dimensions: int = 2,
    max_points: int = BUDGET.plot_points,
    seed: int = 0,
) -> go.Figure:
    """The projected rows in 2-D or 3-D, coloured by `colour_by` (one value per dataset row: clusters
    from `clustering.cluster_labels`, the target, any column), with each row's number and its `hover`
    columns (one row per dataset row) on hover."""
    if dimensions not in (2, 3) or dimensions > projection.dimensions:
        raise ValueError(
            f"This {projection.method} map has {projection.dimensions} dimensions; draw 2 or 3 of them."
        )
    if max_points < 1:
        raise ValueError("max_points must be at least 1.")
    last = int(projection.rows.max()) if len(projection.rows) else -1
    for given, what in ((colour_by, "colour_by"), (hover, "hover")):
        if given is not None and len(given) <= last:
            raise ValueError(f"{what} needs one value per row of the dataset.")
    keep = sample_rows(len(projection.rows), max_points, seed)
    rows = projection.rows[keep]
    points = projection.coordinates[keep, :dimensions]
    numbers, text, template, hover_note = _hover(rows, colour_by, hover)
    fig = go.Figure()
    for trace in _coloured(colour_by, rows, len(rows)):
        mask = trace.pop("mask")
        coordinates = {axis: points[mask, i] for i, axis in enumerate("xyz"[:dimensions])}
        common = {"mode": "markers", "customdata": numbers[mask], "hovertemplate": template, **coordinates}
        if text is not None:
            common["text"] = text[mask]
        if dimensions == 3:
            fig.add_trace(go.Scatter3d(marker={"size": 3, **trace.pop("marker")}, **trace, **common))
        else:
            scatter = go.Scattergl if len(rows) >= WEBGL_FROM else go.Scatter
            fig.add_trace(
                scatter(marker={"size": 6, "opacity": 0.8, **trace.pop("marker")}, **trace, **common)
            )
    drawn = (
        f"{len(rows):,} of {len(projection.rows):,} rows drawn." if len(rows) < len(projection.rows) else ""
    )
    subtitle = " ".join(n for n in (projection.note, drawn, hover_note) if n)
    title = f"{projection.method} map" + (
        f", coloured by {_text(colour_by.name)}" if colour_by is not None and colour_by.name else ""
    )
    layout(fig, title, projection.axes[0], projection.axes[1], subtitle, legend={"itemsizing": "constant"})
    if dimensions == 3:
        fig.update_layout(
            scene={
                "xaxis_title": projection.axes[0],
                "yaxis_title": projection.axes[1],
                "zaxis_title": projection.axes[2],
            },
            height=HEIGHT + 140,
        )
    return fig


def _coloured(colour_by: pd.Series | None, rows: np.ndarray, n: int) -> list[dict[str, Any]]:
    """One trace per level (the `MAX_LEVELS` commonest, then "other"), or one on a colour scale."""
    if colour_by is None:
        return [{"mask": np.ones(n, bool), "marker": {"color": colour(0)}, "showlegend": False}]
    values = colour_by.iloc[rows].reset_index(drop=True)
    if _is_number(values) and colour_by.nunique() >= CONTINUOUS_FROM:
        scale = {"color": values.to_numpy(float), "colorscale": "Viridis", "showscale": True}
        scale["colorbar"] = {"title": {"text": _text(colour_by.name or "")}}
        return [{"mask": np.ones(n, bool), "marker": scale, "showlegend": False}]
    levels = values.astype(object).where(values.notna(), MISSING).astype(str)
    if isinstance(colour_by.dtype, pd.CategoricalDtype):  # its own order; missing values after it
        ordered = [str(c) for c in colour_by.cat.categories if (levels == str(c)).any()]
        ordered += [MISSING] if (levels == MISSING).any() else []
    else:
        ordered = list(levels.value_counts().index)
    named, rest = ordered[:MAX_LEVELS], ordered[MAX_LEVELS:]
    traces = [
        {
            "mask": (levels == level).to_numpy(),
            "name": _text(level),
            "marker": {"color": NOISE_COLOUR if level == cluster_name(NOISE) else colour(i)},
        }
        for i, level in enumerate(named)
    ]
    if rest:
        traces.append(
            {
                "mask": levels.isin(rest).to_numpy(),
                "name": f"{OTHER} ({plural(len(rest), 'level')})",
                "marker": {"color": NOISE_COLOUR},
            }
        )
    return traces


def _hover(
    rows: np.ndarray, colour_by: pd.Series | None, hover: pd.DataFrame | None
) -> tuple[np.ndarray, np.ndarray | None, str, str]:
    """Each drawn row's number (1 for the first row of data) and values, and the template that shows
    them on hover. Numbers travel to the browser as one binary array, whatever the points; a category
    colouring the map is its trace's name; other text goes as one string per point, and only up to
    `TEXT_HOVER_POINTS` points: beyond that, strings made every rerun of the map spend most of its
    time in plotly's JSON encoder."""
    columns: list[tuple[str, pd.Series]] = []
    if colour_by is not None:
        columns.append((str(colour_by.name or "colour"), colour_by.iloc[rows]))
    if hover is not None:
        columns += [(str(name), hover[name].iloc[rows]) for name in hover.columns]
    numbers = [np.asarray(rows, dtype=np.float64) + 1]
    lines = ["row %{customdata[0]:,}"]
    texts = []
    left_out = []
    for position, (name, values) in enumerate(columns):
        if _is_number(values):
            numbers.append(values.to_numpy(dtype=np.float64, na_value=np.nan))
            lines.append(f"{_text(name)}: %{{customdata[{len(numbers) - 1}]:.4~g}}")
        elif position == 0 and colour_by is not None:
            lines.append(f"{_text(name)}: %{{fullData.name}}")
        elif len(rows) <= TEXT_HOVER_POINTS:
            texts.append(np.char.add(f"{_text(name)}: ", np.array([_text(v) for v in values], dtype=str)))
        else:
            left_out.append(name)
    text = None
    if texts:
        text = texts[0]
        for more in texts[1:]:
            text = np.char.add(np.char.add(text, "<br>"), more)
        lines.append("%{text}")
    note = (
        f"With more than {TEXT_HOVER_POINTS:,} points, hover leaves out {_text(', '.join(left_out))}."
        if left_out
        else ""
    )
    return np.column_stack(numbers), text, "<br>".join(lines) + "<extra></extra>", note


def _is_number(values: pd.Series) -> bool:
    return pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values)


# ---------- clusters ----------


def profile_heatmap(profiles: ClusterProfiles, max_columns: int = 40) -> go.Figure:
    """Clusters down, columns and levels across, coloured by the standardised difference from the
    whole table (red above, blue below); the `max_columns` that differ most are drawn."""
    if profiles.heatmap.empty:
        raise ValueError("The profiles have no column to draw.")
    if max_columns < 1:
        raise ValueError("Draw at least one column.")
    table = profiles.heatmap.fillna(0.0)
    kept = table.abs().max().sort_values(ascending=False, kind="stable").index[:max_columns]
    kept = [c for c in table.columns if c in set(kept)]  # in the table's column order
    z = table[kept]
    limit = max(float(np.abs(z.to_numpy()).max()), 0.5)
    fig = go.Figure(
        go.Heatmap(
            z=z.to_numpy(),
            x=[_text(c) for c in kept],
            y=list(z.index),
            customdata=profiles.cells[kept].fillna("").map(_text).to_numpy(),
            colorscale="RdBu_r",
            zmin=-limit,
            zmax=limit,
            colorbar={"title": {"text": "sd"}},
            hovertemplate="%{y}, %{x}<br>%{z:+.2f} sd: %{customdata}<extra></extra>",
        )
    )
    more = len(table.columns) - len(kept)
    layout(
        fig,
        "How each cluster differs from the whole table",
        "",
        "",
        "in the table's standard deviations"
        + (
            f"; {plural(more, 'column')} that {'differs' if more == 1 else 'differ'} less not drawn"
            if more
            else ""
        ),
        height=max(HEIGHT, 160 + 40 * len(z.index)),
    )
    fig.update_yaxes(autorange="reversed", type="category")
    fig.update_xaxes(type="category", tickangle=-45)
    return fig


def silhouette_figure(silhouettes: Silhouettes) -> go.Figure:
    """Each cluster's rows sorted by silhouette, stacked one cluster above the next; the mean dashed."""
    if len(silhouettes.values) == 0:
        raise ValueError("No silhouettes to draw.")
    fig = go.Figure()
    start = 0
    for i, label in enumerate(np.unique(silhouettes.labels)):
        values = np.sort(silhouettes.values[silhouettes.labels == label])
        y = np.arange(start, start + len(values))
        fig.add_scatter(
            x=values,
            y=y,
            fill="tozerox",
            mode="lines",
            line={"color": colour(i), "width": 0.5},
            name=cluster_name(int(label)),
            hovertemplate=f"{cluster_name(int(label))}<br>silhouette %{{x:.2f}}<extra></extra>",
        )
        start += len(values) + max(len(silhouettes.values) // 100, 2)
    fig.add_vline(x=silhouettes.mean, line=_GUIDE)
    layout(
        fig,
        f"Silhouette of each row, by cluster (mean {silhouettes.mean:.2f})",
        "silhouette: 1 well inside its cluster, 0 on a border, below 0 nearer another",
        "",
        silhouettes.note or "dashed: the mean",
    )
    fig.update_xaxes(range=[min(-0.1, float(silhouettes.values.min())), 1])
    fig.update_yaxes(showticklabels=False)
    return fig


def dendrogram_figure(tree: Dendrogram) -> go.Figure:
    """The last merges of the tree, each leaf a group of rows ("(12)") or one row; the cut into k
    clusters dashed when k was given."""
    if len(tree.xs) == 0:
        raise ValueError("The tree has no merge to draw.")
    fig = go.Figure()
    xs = np.column_stack([tree.xs, np.full(len(tree.xs), np.nan)]).ravel()
    ys = np.column_stack([tree.heights, np.full(len(tree.heights), np.nan)]).ravel()
    fig.add_scatter(x=xs, y=ys, mode="lines", line={"color": colour(0), "width": 1.5}, hoverinfo="skip")
    if tree.cut is not None:
        fig.add_hline(y=tree.cut, line=_GUIDE)
    subtitle = " ".join(
        n for n in (tree.note, f"dashed: the cut into {tree.k} clusters" if tree.k else "") if n
    )
    layout(fig, f"Dendrogram ({tree.linkage} linkage)", "", "merge distance", subtitle, showlegend=False)
    fig.update_xaxes(
        tickmode="array",
        tickvals=[5 + 10 * i for i in range(len(tree.leaves))],
        ticktext=[_text(leaf) for leaf in tree.leaves],
        tickangle=-90,
    )
    return fig


# ---------- anomalies ----------


def anomaly_score_figure(anomalies: Anomalies, bins: int = 50) -> go.Figure:
    """How the anomaly scores spread over the rows, with the listed most anomalous rows marked."""
    if bins < 2:
        raise ValueError("A histogram needs at least two bins.")
    if len(anomalies.scores) == 0:
        raise ValueError("No scores to draw.")
    fig = go.Figure()
    fig.add_histogram(
        x=anomalies.scores,
        nbinsx=bins,
        marker_color=colour(0),
        name="rows",
        hovertemplate="score %{x}<br>%{y:,} rows<extra></extra>",
    )
    top = anomalies.top
    fig.add_scatter(
        x=[r.score for r in top],
        y=[0] * len(top),
        mode="markers",
        marker={"color": colour(3), "size": 10, "symbol": "triangle-up"},
        name="the rows listed",
        customdata=[f"{r.row:,}" for r in top],
        hovertemplate="row %{customdata}<br>score %{x:.3f}<extra></extra>",
    )
    layout(fig, "Anomaly scores", f"{anomalies.score_name} (higher: more unusual)", "rows", anomalies.note)
    return fig
