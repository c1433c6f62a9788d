"""Plotly figures for explanations: pure functions of SHAP tables, no computation of their own.

Every function takes plain frames or series (from `mlcore.explain.shap_values.Explanation`) and returns a
figure; a bad argument raises `ValueError` with a message a page can show.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from mlcore.formatting import number, signed

POSITIVE, NEGATIVE, NEUTRAL = "#d62728", "#1f77b4", "#9e9e9e"
TOP = 15


def _layout(fig: go.Figure, title: str, height: int) -> go.Figure:
    fig.update_layout(
        title=title, height=height, margin={"l": 10, "r": 10, "t": 50, "b": 40}, template="plotly_white"
    )
    return fig


def importance_bar(
    values: pd.Series,
    error: pd.Series | None = None,
    title: str = "Mean |SHAP value| per feature",
    axis_title: str = "mean |SHAP value|",
    top: int = TOP,
) -> go.Figure:
    """Horizontal bars, largest on top; `error` adds error bars (e.g. the spread of permutations)."""
    if values.empty:
        raise ValueError("There are no importances to draw.")
    shown = values.sort_values(ascending=False).iloc[:top][::-1]
    bar = go.Bar(
        x=shown.to_numpy(),
        y=[str(i) for i in shown.index],
        orientation="h",
        marker_color=NEGATIVE,
        error_x=None if error is None else {"type": "data", "array": error.reindex(shown.index).to_numpy()},
        hovertemplate="%{y}: %{x:,.4~r}<extra></extra>",
    )
    fig = go.Figure(bar)
    fig.update_xaxes(title=axis_title)
    return _layout(fig, title, 120 + 26 * len(shown))


def _colour_scale(column: pd.Series) -> np.ndarray | None:
    """Feature values as 0..1 ranks for colouring; None when the column has no order (categories)."""
    if pd.api.types.is_bool_dtype(column.dtype):
        return column.astype(float).to_numpy()
    if pd.api.types.is_datetime64_any_dtype(column.dtype):
        column = column.astype("int64").where(column.notna())
    elif not pd.api.types.is_numeric_dtype(column.dtype):
        return None
    ranks = column.rank(pct=True)
    return ranks.to_numpy(dtype=float)


def _swarm_offsets(x: np.ndarray, bins: int = 60, width: float = 0.38) -> np.ndarray:
    """Vertical offsets that spread points with similar x into a swarm, deterministically."""
    if len(x) == 0:
        return x
    span = np.ptp(x) or 1.0
    cell = np.minimum(((x - x.min()) / span * bins).astype(int), bins - 1)
    order = np.lexsort((x, cell))
    rank = np.empty(len(x), dtype=int)
    starts = np.r_[0, np.flatnonzero(np.diff(cell[order])) + 1]
    counts = np.diff(np.r_[starts, len(x)])
    rank[order] = np.arange(len(x)) - np.repeat(starts, counts)
    crowd = counts.max()
    step = width / max(crowd / 2, 1)
    return ((rank + 1) // 2) * np.where(rank % 2, 1.0, -1.0) * step


def beeswarm(
    shap_values: pd.DataFrame,
    data: pd.DataFrame,
    unit: str = "SHAP value",
    top: int = TOP,
    title: str = "Each row's effect per feature",
) -> go.Figure:
    """Every explained row as a dot per feature: x is its SHAP value, colour its feature value.

    Features are ordered by mean |SHAP| (most important on top); a red dot has a high value of its
    feature, a blue dot a low one; grey dots belong to columns without an order (categories, text).
    """
    if shap_values.empty:
        raise ValueError("There are no SHAP values to draw.")
    order = shap_values.abs().mean().sort_values(ascending=False).index[:top][::-1]
    xs, ys, colours, hover = [], [], [], []
    grey_x, grey_y, grey_hover = [], [], []
    for position, name in enumerate(order):
        x = shap_values[name].to_numpy(dtype=float)
        y = position + _swarm_offsets(x)
        values = data[name] if name in data.columns else pd.Series(np.nan, index=shap_values.index)
        texts = (f"{name} = " + values.astype(str)).to_numpy(dtype=object)
        scale = _colour_scale(values)
        if scale is None:
            scale = np.full(len(x), np.nan)
        known = ~np.isnan(scale)  # missing values and unordered columns are drawn grey
        grey_x.append(x[~known]), grey_y.append(y[~known]), grey_hover.append(texts[~known])
        xs.append(x[known]), ys.append(y[known]), colours.append(scale[known]), hover.append(texts[known])
    fig = go.Figure()
    if sum(len(x) for x in xs):
        fig.add_trace(
            go.Scattergl(
                x=np.concatenate(xs),
                y=np.concatenate(ys),
                mode="markers",
                marker={
                    "size": 5,
                    "color": np.concatenate(colours),
                    "colorscale": [[0, NEGATIVE], [0.5, "#b39ddb"], [1, POSITIVE]],
                    "cmin": 0,
                    "cmax": 1,
                    "colorbar": {"title": "feature value", "tickvals": [0, 1], "ticktext": ["low", "high"]},
                },
                text=np.concatenate(hover),
                hovertemplate="%{text}<br>SHAP %{x:,.4~r}<extra></extra>",
                name="ordered values",
                showlegend=False,
            )
        )
    if sum(len(x) for x in grey_x):
        fig.add_trace(
            go.Scattergl(
                x=np.concatenate(grey_x),
                y=np.concatenate(grey_y),
                mode="markers",
                marker={"size": 5, "color": NEUTRAL},
                text=np.concatenate(grey_hover),
                hovertemplate="%{text}<br>SHAP %{x:,.4~r}<extra></extra>",
                name="categories or missing",
                showlegend=False,
            )
        )
    fig.add_vline(x=0, line_color="#616161", line_width=1)
    fig.update_yaxes(
        tickvals=list(range(len(order))), ticktext=[str(n) for n in order], range=[-0.6, len(order) - 0.4]
    )
    fig.update_xaxes(title=f"SHAP value ({unit})")
    return _layout(fig, title, 140 + 34 * len(order))


def dependence(
    values: pd.Series, shap_values: pd.Series, colour: pd.Series | None = None, unit: str = "SHAP value"
) -> go.Figure:
    """How one feature's value relates to its SHAP value; categories get one box of dots per level."""
    if len(values) != len(shap_values):
        raise ValueError("The feature values and SHAP values must belong to the same rows.")
    name = str(values.name)
    numeric = pd.api.types.is_numeric_dtype(values.dtype) or pd.api.types.is_datetime64_any_dtype(
        values.dtype
    )
    fig = go.Figure()
    if numeric and not pd.api.types.is_bool_dtype(values.dtype):
        marker: dict = {"size": 6, "color": NEGATIVE, "opacity": 0.7}
        if colour is not None:
            scale = _colour_scale(colour)
            if scale is not None:
                marker.update(
                    color=scale,
                    colorscale=[[0, NEGATIVE], [1, POSITIVE]],
                    colorbar={"title": str(colour.name), "tickvals": [0, 1], "ticktext": ["low", "high"]},
                )
        fig.add_trace(
            go.Scattergl(
                x=values.to_numpy(),
                y=shap_values.to_numpy(dtype=float),
                mode="markers",
                marker=marker,
                hovertemplate=f"{name} = %{{x}}<br>SHAP %{{y:,.4~r}}<extra></extra>",
            )
        )
    else:
        levels = values.astype(str).where(values.notna(), "(missing)")
        for level in levels.value_counts().index[:30]:
            mask = (levels == level).to_numpy()
            fig.add_trace(
                go.Box(
                    y=shap_values.to_numpy(dtype=float)[mask],
                    name=level,
                    boxpoints="all",
                    jitter=0.5,
                    pointpos=0,
                    marker={"size": 4, "color": NEGATIVE},
                    line={"color": NEUTRAL},
                    showlegend=False,
                )
            )
    fig.add_hline(y=0, line_color="#616161", line_width=1)
    fig.update_xaxes(title=name)
    fig.update_yaxes(title=f"SHAP value of {name} ({unit})")
    return _layout(fig, f"How {name} moves the prediction", 420)


def waterfall(
    contributions: pd.Series,
    base: float,
    unit: str = "model output",
    labels: dict[str, str] | None = None,
    top: int = 10,
) -> go.Figure:
    """From the average prediction (base) to this row's prediction, one step per feature.

    The largest contributions are shown one by one; the rest are summed into one step, so the bars
    always end exactly at the row's prediction.
    """
    if contributions.empty:
        raise ValueError("There are no contributions to draw.")
    ordered = contributions.reindex(contributions.abs().sort_values(ascending=False).index)
    shown = ordered.iloc[:top]
    rest = ordered.iloc[top:]
    names = [labels.get(str(n), str(n)) if labels else str(n) for n in shown.index]
    steps = list(shown.to_numpy(dtype=float))
    if len(rest):
        names.append(f"{len(rest)} other feature(s)")
        steps.append(float(rest.sum()))
    final = base + float(contributions.sum())
    fig = go.Figure(
        go.Waterfall(
            orientation="h",
            measure=["absolute", *["relative"] * len(steps), "total"],
            y=["average prediction", *names, "this row"][::1],
            x=[base, *steps, final],
            text=[number(base), *[signed(s) for s in steps], number(final)],
            textposition="outside",
            increasing={"marker": {"color": POSITIVE}},
            decreasing={"marker": {"color": NEGATIVE}},
            totals={"marker": {"color": NEUTRAL}},
            connector={"line": {"color": "#bdbdbd"}},
        )
    )
    path = np.cumsum([base, *steps])
    low, high = min(0.0, path.min(), final), max(0.0, path.max(), final)
    pad = 0.18 * ((high - low) or 1.0)  # room for the labels outside the bars
    fig.update_yaxes(autorange="reversed")
    fig.update_xaxes(title=unit, range=[low - pad, high + pad])
    return _layout(fig, "Why this prediction", 160 + 30 * (len(steps) + 2))


def row_labels(row: pd.Series, width: int = 30) -> dict[str, str]:
    """'feature = value' labels for a waterfall, long values shortened."""
    labels = {}
    for name, value in row.items():
        text = "missing" if pd.isna(value) else (number(value) if isinstance(value, float) else str(value))
        if len(text) > width:
            text = text[: width - 1] + "…"
        labels[str(name)] = f"{name} = {text}"
    return labels
