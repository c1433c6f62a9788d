"""Figures of the Evaluate page: pure functions from evaluation results to plotly figures.

Each series keeps its colour by position (the page passes runs in selection order, so a model has
the same colour in every chart). Long curves are thinned and big scatters sampled for drawing only;
the numbers behind them stay exact. Figures use no plotly template: Streamlit applies its theme, and
the HTML report sets one on export. Bad arguments raise `ValueError`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from mlcore.evaluate.budget import BUDGET
from mlcore.evaluate.holdout import (
    CalibrationCurve,
    ConfusionMatrix,
    Curve,
    ThresholdAnalysis,
    ThresholdPoint,
)
from mlcore.evaluate.refit import LearningCurve, ValidationCurve

# Okabe-Ito: distinguishable for colour-blind readers.
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442", "#000000")
HEIGHT = 380
_GUIDE = {"color": "#999999", "dash": "dash", "width": 1}
# Room above subplot titles for plotly's toolbar, which would otherwise cover the rightmost title.
TITLED_MARGIN = {"l": 10, "r": 10, "t": 70, "b": 10}
TRAINING_SCORE, VALIDATION_SCORE = "training score", "validation score"


def colour(i: int) -> str:
    return PALETTE[i % len(PALETTE)]


def layout(fig: go.Figure, title: str, x: str, y: str, subtitle: str = "", **extra: Any) -> go.Figure:
    """Every figure's frame; a long qualifier goes in the `subtitle`, so a half-width chart's title fits."""
    settings: dict[str, Any] = {
        "title": {"text": title, "subtitle": {"text": subtitle}} if subtitle else {"text": title},
        "height": HEIGHT,
        "margin": {"l": 10, "r": 10, "t": 50, "b": 10},
        "legend": {"orientation": "h", "yanchor": "top", "y": -0.2, "x": 0},
        "template": "none",
    }
    fig.update_layout(settings | extra)
    fig.update_xaxes(title_text=x)
    fig.update_yaxes(title_text=y)
    return fig


def _need(items: Sequence[Any] | Mapping[str, Any], what: str) -> None:
    if len(items) == 0:
        raise ValueError(f"No {what} to draw.")


def thin(
    x: np.ndarray, y: np.ndarray, max_points: int = BUDGET.curve_points
) -> tuple[np.ndarray, np.ndarray]:
    """At most `max_points` evenly spaced points of a curve, always keeping both ends."""
    if max_points < 2:
        raise ValueError("A curve needs at least two points.")
    if len(x) != len(y):
        raise ValueError("x and y must have the same length.")
    if len(x) <= max_points:
        return np.asarray(x), np.asarray(y)
    keep = np.unique(np.linspace(0, len(x) - 1, max_points).round().astype(int))
    return np.asarray(x)[keep], np.asarray(y)[keep]


def _sample(frame: pd.DataFrame, max_points: int, seed: int) -> pd.DataFrame:
    if max_points < 1:
        raise ValueError("max_points must be at least 1.")
    return frame if len(frame) <= max_points else frame.sample(max_points, random_state=seed)


# ---------- comparing runs ----------


def fold_spread(scores: Mapping[str, Sequence[float]], metric_label: str) -> go.Figure:
    """Each model's CV scores, one box per model with every fold as a point."""
    _need(scores, "fold scores")
    fig = go.Figure()
    for i, (name, values) in enumerate(scores.items()):
        if len(values) == 0:
            raise ValueError(f"'{name}' has no fold scores.")
        fig.add_box(
            y=list(values),
            name=name,
            boxpoints="all",
            jitter=0.3,
            pointpos=0,
            marker={"color": colour(i), "size": 8},
            line={"color": colour(i)},
            boxmean=True,
            hovertemplate=f"{name}<br>{metric_label}: %{{y:.4f}}<extra></extra>",
        )
    return layout(fig, f"CV {metric_label} on each fold", "", metric_label, showlegend=False)


def _heatmap_values(cm: ConfusionMatrix, normalized: bool) -> tuple[np.ndarray, list[list[str]], np.ndarray]:
    shares = cm.normalized
    z = shares if normalized else cm.counts
    text = [[_share(v) if normalized else f"{v:,}" for v in row] for row in z]
    return z, text, np.dstack([cm.counts, shares])


def _share(v: float) -> str:
    """A row share in whole percent, unless that would read as none or all of the rows when it is not:
    284 of 285 reads 99.6%, not 100%, so a single mistake stays visible."""
    text = f"{v:.0%}"
    if 0 < v < 1 and text in ("0%", "100%"):
        text = f"{v:.1%}"
        text = {"0.0%": "<0.1%", "100.0%": ">99.9%"}.get(text, text)
    return text


def confusion_heatmap(cm: ConfusionMatrix, normalized: bool = False, title: str = "") -> go.Figure:
    """Actual classes down, predicted across; cells show counts or the share of the actual class."""
    n = len(cm.labels)
    if cm.counts.shape != (n, n) or n == 0:
        raise ValueError("The confusion matrix must be square with one row per label.")
    z, text, custom = _heatmap_values(cm, normalized)
    fig = go.Figure(
        go.Heatmap(
            z=z,
            x=list(cm.labels),
            y=list(cm.labels),
            text=text,
            texttemplate="%{text}",
            customdata=custom,
            colorscale="Blues",
            zmin=0,
            zmax=1 if normalized else None,
            showscale=False,
            hovertemplate="actual %{y}, predicted %{x}<br>%{customdata[0]:,} rows "
            "(%{customdata[1]:.1%} of actual %{y})<extra></extra>",
        )
    )
    size = min(HEIGHT + 40 * max(n - 4, 0), 700)
    return layout(
        fig,
        title,
        "predicted",
        "actual",
        yaxis={"autorange": "reversed", "type": "category"},
        xaxis={"type": "category", "side": "bottom"},
        height=size,
    )


def confusion_grid(
    matrices: Sequence[tuple[str, ConfusionMatrix]], normalized: bool = False, per_row: int = 3
) -> go.Figure:
    """Several models' confusion matrices side by side in one figure, `per_row` to a row, each titled
    with its model. One chart rather than one per model keeps the page's redraw light."""
    _need(matrices, "confusion matrices")
    rows = -(-len(matrices) // per_row)
    fig = make_subplots(
        rows=rows,
        cols=per_row,
        subplot_titles=[title for title, _ in matrices],
        horizontal_spacing=0.1,
        vertical_spacing=0.12 if rows > 1 else 0.0,
    )
    for i, (_, cm) in enumerate(matrices):
        heat = confusion_heatmap(cm, normalized).data[0]
        fig.add_trace(heat, row=i // per_row + 1, col=i % per_row + 1)
    n = len(matrices[0][1].labels)
    height = min(HEIGHT + 40 * max(n - 4, 0), 700) - 40
    fig.update_layout(
        height=height * rows + 70,
        margin=TITLED_MARGIN,
        template="none",
        showlegend=False,
    )
    fig.update_xaxes(title_text="predicted", type="category", side="bottom")
    fig.update_yaxes(type="category", autorange="reversed")
    fig.update_yaxes(title_text="actual", col=1)  # once per row: between matrices it would overlap
    return fig


def _guide(fig: go.Figure, x: Sequence[float], y: Sequence[float], name: str) -> None:
    """A grey dashed reference line (a guessing or a perfect model) that hovering skips."""
    fig.add_scatter(x=x, y=y, mode="lines", line=_GUIDE, name=name, hoverinfo="skip")


def _model_line(
    fig: go.Figure, i: int, model: str, label: str, hover: str, x: Any, y: Any, **options: Any
) -> None:
    """One model's curve in its colour; `hover` is the template of a point, the model's name follows it."""
    line = {"color": colour(i), "width": 2} | options.pop("line", {})
    fig.add_scatter(
        x=x, y=y, name=label, line=line, hovertemplate=f"{hover}<extra>{model}</extra>", **options
    )


def _probability_square(fig: go.Figure, title: str, x: str, y: str) -> go.Figure:
    """Both axes from 0 to 1 (a little headroom above, so a curve at 1 stays visible)."""
    return layout(fig, title, x, y, xaxis={"range": [0, 1]}, yaxis={"range": [0, 1.02]})


def roc_figure(curves: Sequence[tuple[str, Curve]], max_points: int = BUDGET.curve_points) -> go.Figure:
    """ROC curves overlaid, with the diagonal of a model that guesses."""
    _need(curves, "ROC curves")
    fig = go.Figure()
    _guide(fig, [0, 1], [0, 1], "guessing (AUC 0.5)")
    for i, (name, curve) in enumerate(curves):
        x, y = thin(curve.x, curve.y, max_points)
        label = f"{name} (AUC {curve.area:.3f})"
        hover = "false positive rate %{x:.3f}<br>true positive rate %{y:.3f}"
        _model_line(fig, i, name, label, hover, x, y, mode="lines")
    return _probability_square(fig, "ROC curve", "false positive rate", "true positive rate")


def pr_figure(curves: Sequence[tuple[str, Curve]], max_points: int = BUDGET.curve_points) -> go.Figure:
    """Precision-recall curves overlaid, with each class's share as the line of a guessing model."""
    _need(curves, "precision-recall curves")
    fig = go.Figure()
    for baseline in sorted({round(c.baseline, 6) for _, c in curves}):
        _guide(fig, [0, 1], [baseline, baseline], f"guessing (precision {baseline:.2f})")
    for i, (name, curve) in enumerate(curves):
        x, y = thin(curve.x, curve.y, max_points)
        label = f"{name} (AP {curve.area:.3f})"
        hover = "recall %{x:.3f}<br>precision %{y:.3f}"
        _model_line(fig, i, name, label, hover, x, y, mode="lines", line={"shape": "hv"})
    return _probability_square(fig, "Precision-recall curve", "recall", "precision")


def calibration_figure(curves: Sequence[tuple[str, CalibrationCurve]]) -> go.Figure:
    """Observed share against mean predicted probability per bin; the diagonal is perfect calibration."""
    _need(curves, "calibration curves")
    fig = go.Figure()
    _guide(fig, [0, 1], [0, 1], "perfectly calibrated")
    for i, (name, curve) in enumerate(curves):
        label = f"{name} (Brier {curve.brier:.3f})"
        hover = "predicted %{x:.2f}<br>observed %{y:.2f}<br>%{customdata:,} rows"
        x, y = curve.mean_predicted, curve.fraction_positive
        _model_line(fig, i, name, label, hover, x, y, mode="lines+markers", customdata=curve.counts)
    return _probability_square(
        fig, "Calibration curve", "mean predicted probability", "observed share of the class"
    )


# ---------- threshold ----------


def threshold_figure(
    analysis: ThresholdAnalysis, threshold: float, best: ThresholdPoint | None = None, points: int = 201
) -> go.Figure:
    """Precision, recall and F1 as the threshold moves, with the chosen and the best threshold marked.

    The chosen threshold is the last trace, so `move_threshold` can move it without rebuilding.
    """
    if not analysis.low <= threshold <= analysis.high:
        raise ValueError(f"The threshold must be between {analysis.low:g} and {analysis.high:g}.")
    sweep = analysis.sweep(points)
    fig = go.Figure()
    # Where no row is flagged, precision is undefined: a gap, not a drop to 0.
    defined = {"precision": sweep["precision"].where(sweep["flagged"] > 0)}
    for i, metric in enumerate(("precision", "recall", "f1")):
        fig.add_scatter(
            x=sweep["threshold"],
            y=defined.get(metric, sweep[metric]),
            mode="lines",
            name="F1" if metric == "f1" else metric,
            line={"color": colour(i), "width": 2},
            hovertemplate="threshold %{x:.3f}: %{y:.3f}<extra></extra>",
        )
    if best is not None:
        fig.add_scatter(
            x=[best.threshold, best.threshold],
            y=[0, 1],
            mode="lines",
            name=f"best ({best.threshold:.3f})",
            line={"color": colour(3), "dash": "dot", "width": 2},
            hoverinfo="skip",
        )
    fig.add_scatter(
        x=[threshold, threshold],
        y=[0, 1],
        mode="lines",
        name="chosen threshold",
        line={"color": "#333333", "width": 2},
        hoverinfo="skip",
    )
    what = "probability" if analysis.kind == "probability" else "decision value"
    return layout(
        fig,
        f"Scores as the threshold moves (positive class: {analysis.positive})",
        f"threshold on the {what}",
        "score",
        yaxis={"range": [0, 1.02]},
    )


def threshold_view(
    analysis: ThresholdAnalysis, threshold: float, best: ThresholdPoint | None = None, points: int = 201
) -> go.Figure:
    """The confusion matrix at `threshold` beside the scores as the threshold moves, in one figure.

    One chart instead of two halves what the slider's redraw sends. The heatmap is the first trace
    and the chosen threshold the last, so `move_threshold` can refill both without rebuilding.
    """
    curve = threshold_figure(analysis, threshold, best, points)
    heat = confusion_heatmap(analysis.confusion(threshold))
    fig = make_subplots(
        rows=1,
        cols=2,
        column_widths=[0.38, 0.62],
        horizontal_spacing=0.1,
        subplot_titles=(_at_threshold(threshold), curve.layout.title.text),
    )
    fig.add_trace(heat.data[0], row=1, col=1)
    for trace in curve.data:
        fig.add_trace(trace, row=1, col=2)
    fig.update_layout(
        height=HEIGHT + 70,
        margin=TITLED_MARGIN,
        legend={"orientation": "h", "yanchor": "top", "y": -0.2, "x": 0.45},
        template="none",
    )
    fig.update_xaxes(title_text="predicted", type="category", row=1, col=1)
    fig.update_yaxes(title_text="actual", type="category", autorange="reversed", row=1, col=1)
    fig.update_xaxes(title_text=curve.layout.xaxis.title.text, row=1, col=2)
    fig.update_yaxes(title_text="score", range=[0, 1.02], row=1, col=2)
    return fig


def _at_threshold(threshold: float) -> str:
    return f"At threshold {threshold:.3f}"


def move_threshold(spec: dict[str, Any], cm: ConfusionMatrix, threshold: float) -> dict[str, Any]:
    """A `threshold_view` (as a plotly dict) moved to another threshold and its matrix `cm`: the
    heatmap refilled, the marker moved, nothing rebuilt, which keeps the slider's redraw fast.
    The input is left unchanged."""
    if len(cm.labels) != len(spec["data"][0]["x"]):
        raise ValueError("The new matrix must have as many classes as the figure.")
    z, text, custom = _heatmap_values(cm, normalized=False)
    data = list(spec["data"])
    data[0] = {**data[0], "z": z, "text": text, "customdata": custom}
    data[-1] = {**data[-1], "x": [threshold, threshold]}
    titles = list(spec["layout"]["annotations"])
    titles[0] = {**titles[0], "text": _at_threshold(threshold)}
    return {**spec, "data": data, "layout": {**spec["layout"], "annotations": titles}}


# ---------- curves that refit ----------


def _band(fig: go.Figure, x: Sequence[Any], mean: np.ndarray, std: np.ndarray, name: str, i: int) -> None:
    fig.add_scatter(
        x=list(x) + list(x)[::-1],
        y=list(mean + std) + list((mean - std)[::-1]),
        mode="lines",
        fill="toself",
        fillcolor=colour(i),
        opacity=0.15,
        line={"width": 0},
        hoverinfo="skip",
        showlegend=False,
    )
    fig.add_scatter(
        x=list(x),
        y=mean,
        mode="lines+markers",
        name=name,
        line={"color": colour(i), "width": 2},
        hovertemplate="%{x}: %{y:.4f}<extra>" + name + "</extra>",
    )


def learning_curve_figure(curve: LearningCurve, metric_label: str) -> go.Figure:
    """Mean train and validation score against training rows, shaded ± one standard deviation."""
    if len(curve.sizes) == 0 or curve.train.shape[0] != len(curve.sizes):
        raise ValueError("The learning curve needs one row of scores per training size.")
    fig = go.Figure()
    _band(fig, curve.sizes, curve.train_mean, curve.train_std, TRAINING_SCORE, 0)
    _band(fig, curve.sizes, curve.validation_mean, curve.validation_std, VALIDATION_SCORE, 1)
    return layout(fig, "Learning curve", "rows used for training", metric_label)


def validation_curve_figure(curve: ValidationCurve, metric_label: str) -> go.Figure:
    """Mean train and validation score for each value of one hyperparameter; the run's value marked."""
    if len(curve.values) == 0 or curve.train.shape[0] != len(curve.values):
        raise ValueError("The validation curve needs one row of scores per value.")
    numeric = all(isinstance(v, int | float) and not isinstance(v, bool) for v in curve.values)
    labels = list(curve.value_labels) or [str(v) for v in curve.values]
    x = list(curve.values) if numeric else labels
    fig = go.Figure()
    _band(fig, x, curve.train_mean, curve.train_std, TRAINING_SCORE, 0)
    _band(fig, x, curve.validation_mean, curve.validation_std, VALIDATION_SCORE, 1)
    current = (
        curve.current
        if numeric
        else (labels[curve.values.index(curve.current)] if curve.current in curve.values else None)
    )
    if current in x:
        at = current if numeric else x.index(current)
        fig.add_vline(x=at, line={"color": "#333333", "dash": "dot"})
        # On a log axis an annotation is placed at log10 of the value (a shape at the value itself).
        where = math.log10(at) if numeric and curve.log else at
        fig.add_annotation(x=where, y=1, yref="paper", text="this run", showarrow=False, yanchor="bottom")
    # Ticks at the values tried, labelled as the page lists them.
    axis: dict[str, Any] = (
        {"type": "log" if curve.log else "linear", "tickvals": x, "ticktext": labels}
        if numeric
        else {"type": "category"}
    )
    return layout(fig, f"Validation curve: {curve.label}", curve.label, metric_label, xaxis=axis)


# ---------- regression ----------


def _series(series: Mapping[str, pd.DataFrame]) -> None:
    _need(series, "predictions")
    for name, frame in series.items():
        missing = {"actual", "predicted", "residual"} - set(frame.columns)
        if missing:
            raise ValueError(f"'{name}' lacks the column(s) {', '.join(sorted(missing))}.")


def _sampled_note(series: Mapping[str, pd.DataFrame], max_points: int) -> str:
    n = max(len(f) for f in series.values())
    return f"a random sample of {max_points:,} of {n:,} rows" if n > max_points else ""


def _model_points(
    fig: go.Figure, series: Mapping[str, pd.DataFrame], x: str, y: str, max_points: int, seed: int
) -> None:
    """Each run's rows as points in its colour, sampled for drawing when there are many."""
    for i, (name, frame) in enumerate(series.items()):
        shown = _sample(frame, max_points, seed)
        fig.add_scatter(
            x=shown[x],
            y=shown[y],
            mode="markers",
            name=name,
            marker={"color": colour(i), "size": 5, "opacity": 0.6},
            hovertemplate=f"{x} %{{x:,.4~r}}<br>{y} %{{y:,.4~r}}<extra>{name}</extra>",
        )


def predicted_vs_actual(
    series: Mapping[str, pd.DataFrame], max_points: int = BUDGET.scatter_points, seed: int = 0
) -> go.Figure:
    """Each run's predictions against the true values; points on the diagonal are exact."""
    _series(series)
    fig = go.Figure()
    low = min(min(f["actual"].min(), f["predicted"].min()) for f in series.values())
    high = max(max(f["actual"].max(), f["predicted"].max()) for f in series.values())
    _guide(fig, [low, high], [low, high], "perfect prediction")
    _model_points(fig, series, "actual", "predicted", max_points, seed)
    return layout(
        fig, "Predicted against actual", "actual", "predicted", subtitle=_sampled_note(series, max_points)
    )


def residuals_vs_predicted(
    series: Mapping[str, pd.DataFrame], max_points: int = BUDGET.scatter_points, seed: int = 0
) -> go.Figure:
    """Residual (actual − predicted) against the prediction; a pattern means a systematic error."""
    _series(series)
    fig = go.Figure()
    fig.add_hline(y=0, line=_GUIDE)
    _model_points(fig, series, "predicted", "residual", max_points, seed)
    return layout(
        fig,
        "Residuals against predicted",
        "predicted",
        "residual (actual − predicted)",
        subtitle=_sampled_note(series, max_points),
    )


def residual_histogram(series: Mapping[str, pd.DataFrame], bins: int = 40) -> go.Figure:
    """The distribution of residuals per run, overlaid; a good model is centred on zero and narrow."""
    _series(series)
    if bins < 2:
        raise ValueError("A histogram needs at least two bins.")
    low = min(f["residual"].min() for f in series.values())
    high = max(f["residual"].max() for f in series.values())
    edges = np.linspace(low, high if high > low else low + 1, bins + 1)
    fig = go.Figure()
    for i, (name, frame) in enumerate(series.items()):
        counts, _ = np.histogram(frame["residual"], bins=edges)
        # A step outline per run, not filled bars: overlapping fills blend into colours no legend explains.
        fig.add_scatter(
            x=(edges[:-1] + edges[1:]) / 2,
            y=counts,
            mode="lines",
            name=name,
            line={"color": colour(i), "width": 2, "shape": "hvh"},
            hovertemplate="residual ≈ %{x:,.4~r}<br>%{y:,} rows<extra>" + name + "</extra>",
        )
    fig.add_vline(x=0, line=_GUIDE)
    return layout(fig, "Distribution of residuals", "residual (actual − predicted)", "rows")
