"""Figures of the Monitor page: pure functions from samples and reports to plotly figures.

Distributions are drawn as shares of each sample's rows, so a batch of 200 rows and a training set of
200,000 sit on one scale. User strings (column names, category levels) are HTML-escaped, since
plotly renders a subset of HTML in titles and labels. Bad arguments raise `ValueError`.
"""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from mlcore.evaluate.plots import layout
from mlcore.formatting import percent
from mlcore.monitor.drift import KINDS, MISSING, DriftReport, FeatureDrift, as_numbers, level_counts

HEIGHT = 380
TRAINING, NEW = "#0072B2", "#E69F00"  # Okabe-Ito blue and orange: distinguishable for colour-blind readers
VERDICTS = {  # verdict: colour
    "drifted": "#D55E00",
    "real but small change": "#E69F00",
    "no change beyond chance": "#0072B2",
}
_GUIDE = {"color": "#999999", "dash": "dash", "width": 1}


def _text(value: object) -> str:
    return html.escape(str(value))


# ---------- one feature ----------


def distribution_figure(
    reference: pd.Series,
    current: pd.Series,
    kind: str,
    name: str | None = None,
    bins: int = 30,
    levels: int = 20,
) -> go.Figure:
    """The training and the new rows' distributions of one feature, overlaid as shares of rows.

    Numbers and timestamps: histograms on common bins with the training range marked. Categories,
    booleans and text: grouped bars of the `levels` most common levels (the rest as one bar), levels
    never seen in training marked "new". Missing values are counted in the subtitle, not drawn.
    """
    if kind not in KINDS:
        raise ValueError(f"Unknown kind '{kind}'; use one of {', '.join(KINDS)}.")
    if len(reference) == 0 or len(current) == 0:
        raise ValueError("Both samples need at least one row.")
    label = _text(name if name is not None else reference.name)
    if kind in ("numeric", "datetime"):
        fig, note = _histograms(as_numbers(reference, kind), as_numbers(current, kind), kind, bins)
        x = "value"
    else:
        fig, note = _level_bars(level_counts(reference), level_counts(current), levels)
        x = "level"
    return layout(fig, f"{label}: training rows and new rows", x, "share of rows", note)


def _histograms(r: np.ndarray, c: np.ndarray, kind: str, bins: int) -> tuple[go.Figure, str]:
    if bins < 2:
        raise ValueError("A histogram needs at least two bins.")
    r_ok, c_ok = r[~np.isnan(r)], c[~np.isnan(c)]
    if not len(r_ok) or not len(c_ok):
        raise ValueError("Both samples need at least one value that is not missing.")
    edges = np.histogram_bin_edges(np.concatenate([r_ok, c_ok]), bins)
    centres = (edges[:-1] + edges[1:]) / 2
    axis = pd.to_datetime(centres) if kind == "datetime" else centres
    fig = go.Figure()
    for values, title, colour in ((r_ok, "training", TRAINING), (c_ok, "new", NEW)):
        counts, _ = np.histogram(values, edges)
        fig.add_scatter(
            x=axis,
            y=counts / len(values),
            mode="lines",
            name=f"{title} ({len(values):,} values)",
            line={"color": colour, "width": 2, "shape": "hvh"},
            hovertemplate="%{x}<br>%{y:.1%} of rows<extra>" + title + "</extra>",
        )
    for edge in (r_ok.min(), r_ok.max()):
        fig.add_vline(x=pd.Timestamp(int(edge)) if kind == "datetime" else float(edge), line=_GUIDE)
    return fig, "dashed: the training range" + _missing_note(np.isnan(r).mean(), np.isnan(c).mean())


def _level_bars(reference: pd.Series, current: pd.Series, levels: int) -> tuple[go.Figure, str]:
    if levels < 1:
        raise ValueError("Show at least one level.")
    table = pd.concat([reference, current], axis=1, sort=False).fillna(0)
    shares = table / table.sum()
    missing = shares.loc[MISSING] if MISSING in shares.index else pd.Series([0.0, 0.0])
    shares = shares.drop(index=MISSING, errors="ignore")
    unseen = table.iloc[:, 0].reindex(shares.index) == 0
    order = shares.max(axis=1).sort_values(ascending=False, kind="stable").index
    shown, rest = order[:levels], order[levels:]
    names = [_text(v) + (" (new)" if unseen[v] else "") for v in shown]
    if len(rest):
        names.append(f"{len(rest):,} other levels")
    fig = go.Figure()
    for i, (title, colour) in enumerate((("training", TRAINING), ("new", NEW))):
        y = list(shares.iloc[:, i].reindex(shown)) + (
            [shares.iloc[:, i].reindex(rest).sum()] if len(rest) else []
        )
        fig.add_bar(
            x=names,
            y=y,
            name=title,
            marker={
                "color": colour,
                "pattern": {"shape": ["/" if n.endswith(" (new)") else "" for n in names]},
            },
            hovertemplate="%{x}<br>%{y:.1%} of rows<extra>" + title + "</extra>",
        )
    fig.update_layout(barmode="group")
    fig.update_xaxes(type="category")
    return fig, "hatched: levels never seen in training" + _missing_note(*missing)


def _missing_note(reference: float, current: float) -> str:
    if not reference and not current:
        return ""
    return f"; missing (not drawn): {percent(reference)} of training rows, {percent(current)} of new rows"


# ---------- the table ----------


def _verdict(f: FeatureDrift) -> str:
    if f.drifted:
        return "drifted"
    return "real but small change" if f.significant else "no change beyond chance"


def overview_figure(report: DriftReport) -> go.Figure:
    """Each feature's effect as a multiple of its practical floor (1 = the floor, dashed), coloured
    by verdict, sized by importance, the most important feature at the top."""
    drawn = sorted(
        (f for f in report.features if f.tested and np.isfinite(f.effect)), key=lambda f: f.importance
    )
    if not drawn:
        raise ValueError("The report has no tested feature to draw.")
    largest = max(f.importance for f in drawn) or 1.0
    fig = go.Figure()
    for verdict, colour in VERDICTS.items():
        group = [f for f in drawn if _verdict(f) == verdict]
        if not group:
            continue
        fig.add_scatter(
            x=[f.effect / f.floor if f.floor > 0 else f.effect for f in group],
            y=[_text(f.name) for f in group],
            mode="markers",
            name=verdict,
            marker={
                "color": colour,
                "size": [8 + 16 * f.importance / largest for f in group],
                "opacity": 0.85,
            },
            customdata=[[f.effect_name, f.effect, f.q_value] for f in group],
            hovertemplate="%{y}<br>%{customdata[0]}: %{customdata[1]:.3f}<br>q = %{customdata[2]:.3g}"
            f"<extra>{verdict}</extra>",
        )
    fig.add_vline(x=1, line=_GUIDE)
    skipped = len(report.features) - sum(f.tested for f in report.features)
    return layout(
        fig,
        "How far each feature moved",
        "effect ÷ practical floor (dashed: the floor)",
        "",
        f"{skipped:,} feature(s) not tested"
        if skipped
        else "larger markers: features the model relies on more",
        yaxis={"type": "category", "categoryorder": "array", "categoryarray": [_text(f.name) for f in drawn]},
        height=max(HEIGHT, 120 + 26 * len(drawn)),
    )


# ---------- over time ----------


def timeline_figure(checks: Sequence[Mapping[str, Any]], metric_label: str = "metric") -> go.Figure:
    """Past checks in time order: the share of features drifted (left axis), drifted batches marked,
    and the metric on labelled rows where a check has one (right axis).

    Each check is a dict with `time`, `drifted_share` (0 to 1) and `drifted`, and optionally
    `metric` (as `DriftReport.to_dict()` gives them, plus the time).
    """
    if len(checks) == 0:
        raise ValueError("No checks to draw.")
    for i, check in enumerate(checks):
        absent = {"time", "drifted_share", "drifted"} - set(check)
        if absent:
            raise ValueError(f"Check {i + 1} lacks {', '.join(sorted(absent))}.")
    frame = pd.DataFrame(
        {
            "time": pd.to_datetime([c["time"] for c in checks]),
            "share": [float(c["drifted_share"]) for c in checks],
            "drifted": [bool(c["drifted"]) for c in checks],
            "metric": [np.nan if c.get("metric") is None else float(c["metric"]) for c in checks],
        }
    ).sort_values("time", kind="stable")
    fig = make_subplots(specs=[[{"secondary_y": True}]])
    fig.add_scatter(
        x=frame["time"],
        y=frame["share"],
        mode="lines+markers",
        name="features drifted",
        line={"color": TRAINING, "width": 2},
        hovertemplate="%{x}<br>%{y:.0%} of features drifted<extra></extra>",
    )
    flagged = frame[frame["drifted"]]
    fig.add_scatter(
        x=flagged["time"],
        y=flagged["share"],
        mode="markers",
        name="drifted batch",
        marker={"color": VERDICTS["drifted"], "size": 12, "symbol": "x"},
        hoverinfo="skip",
    )
    layout(fig, "Drift over time", "time of the check", "share of features drifted")
    fig.update_yaxes(range=[0, 1.02], tickformat=".0%", secondary_y=False)
    if frame["metric"].notna().any():
        scored = frame[frame["metric"].notna()]
        label = _text(metric_label)
        fig.add_scatter(
            x=scored["time"],
            y=scored["metric"],
            mode="lines+markers",
            name=label,
            line={"color": NEW, "width": 2, "dash": "dot"},
            hovertemplate="%{x}<br>" + label + " %{y:.3f}<extra></extra>",
            secondary_y=True,
        )
        fig.update_yaxes(title_text=label, secondary_y=True)
    return fig
