"""A self-contained HTML report comparing runs: the Evaluate page's tables, figures and explanations.

One file that opens offline: plotly.js is embedded once, figures follow, formulas are shown as plain text.
Used by `python -m mlcore evaluate … --report OUT.html` and by the page's download button.
"""

from __future__ import annotations

import html
from importlib import metadata

import pandas as pd
import plotly.graph_objects as go
from plotly.offline import get_plotlyjs

from mlcore.dataset import Dataset
from mlcore.evaluate import plots
from mlcore.evaluate.budget import BUDGET
from mlcore.evaluate.compare import NOT_COMPARABLE, comparable, cv_table, fold_scores, holdout_table
from mlcore.evaluate.glossary import explain
from mlcore.evaluate.holdout import (
    THRESHOLD_METRICS,
    EvalError,
    RunEvaluation,
    display_names,
    evaluate_run,
    largest_errors,
    numbered,
)
from mlcore.metrics import METRICS
from mlcore.schema import Task
from mlcore.train.runs import Run

STYLE = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;max-width:1100px;margin:2em auto;
padding:0 1em;color:#222;line-height:1.45}
table{border-collapse:collapse;margin:.5em 0 1em;font-size:.9em}
th,td{border:1px solid #ddd;padding:.3em .6em;text-align:right}th{background:#f4f4f4}
td:first-child,th:first-child{text-align:left}
.explain{background:#f6f8fb;border-left:3px solid #0072B2;padding:.4em .8em;margin:.4em 0 1em;font-size:.92em}
.explain .formula{margin-top:.3em;color:#333;font-family:"Cambria Math","STIX Two Math","Latin Modern Math",
Georgia,serif;font-size:1.05em}.grid{display:grid;gap:1em}
.grid>div{min-width:0}.note{color:#666;font-size:.9em}
.warning{color:#8a4b00;background:#fff4e0;padding:.4em .6em}
"""


class HtmlReport:
    """An offline HTML page built part by part: headings, escaped text, tables, plotly figures."""

    def __init__(self) -> None:
        self.parts: list[str] = []

    def add(self, text: str) -> None:
        self.parts.append(text)

    def heading(self, text: str, level: int = 2) -> None:
        self.add(f"<h{level}>{html.escape(text)}</h{level}>")

    def paragraph(self, text: str, cls: str = "") -> None:
        self.add(f'<p class="{cls}">{html.escape(text)}</p>' if cls else f"<p>{html.escape(text)}</p>")

    def explanation(self, key: str) -> None:
        e = explain(key)
        # The plain-text form: LaTeX would show as raw commands, and a renderer would need a CDN.
        formula = f'<div class="formula">{html.escape(e.plain)}</div>' if e.plain else ""
        self.add(f'<div class="explain"><b>{html.escape(e.title)}.</b> {html.escape(e.text)}{formula}</div>')

    def table(self, frame: pd.DataFrame, index: bool = True) -> None:
        shown = frame.reset_index() if index else frame
        # A pivot's column-axis name ("model") would otherwise become an extra, empty header column.
        shown = shown.rename_axis(columns=None)
        self.add(shown.to_html(index=False, float_format=lambda v: f"{v:.4f}", na_rep="—", border=0))

    @staticmethod
    def figure(fig: go.Figure) -> str:
        themed = go.Figure(fig).update_layout(template="plotly_white")
        return themed.to_html(full_html=False, include_plotlyjs=False, config={"responsive": True})

    def figures(self, figs: list[go.Figure]) -> None:
        # Fixed columns: each figure knows its width when its script runs, before the next one exists.
        columns = f"grid-template-columns:repeat({min(len(figs), 3)},minmax(0,1fr))"
        self.add(
            f'<div class="grid" style="{columns}">' + "".join(f"<div>{self.figure(f)}</div>" for f in figs)
        )
        self.add("</div>")

    def page(self, title: str) -> str:
        """The whole page: plotly.js embedded once, so it opens offline."""
        script = f'<script type="text/javascript">{get_plotlyjs()}</script>'
        return (
            f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>{html.escape(title)}</title>'
            f"<style>{STYLE}</style>{script}</head><body>{chr(10).join(self.parts)}</body></html>"
        )


def build_report(runs: list[Run], dataset: Dataset | None = None, title: str | None = None) -> str:
    """The comparison of `runs` (finished runs of one task) as one HTML page."""
    runs = [r for r in runs if r.ok]
    if not runs:
        raise EvalError("There is no finished run to report on.", "Train at least one model first.")
    if len({r.task for r in runs}) > 1:
        raise EvalError("Runs of different tasks cannot be compared.", "Report on one task at a time.")
    evaluations = [evaluate_run(r, dataset) for r in runs]
    names = display_names(runs)
    first = runs[0]
    b = HtmlReport()
    b.add(f"<h1>{html.escape(title or f'Model comparison: {first.dataset_name}')}</h1>")
    b.paragraph(
        f"Data: {first.dataset_name} · target: {first.target} · task: {first.task.value} · "
        f"{len(runs)} model(s) · holdout share {first.split.test_size:.0%} · "
        f"{first.split.cv_folds or 'no'} CV folds · seed {first.seed}",
        "note",
    )
    if not comparable(runs):
        b.paragraph(NOT_COMPARABLE, "warning")
    _scores_section(b, runs, evaluations)
    if first.task is Task.CLASSIFICATION:
        _classification_sections(b, evaluations, names)
    else:
        _regression_sections(b, evaluations, names, dataset)
    versions = ", ".join(f"{k} {v}" for k, v in first.versions.items())
    b.paragraph(f"Made with mlcore; plotly {metadata.version('plotly')}; {versions}.", "note")
    return b.page(f"{first.dataset_name} — model comparison")


def _scores_section(b: HtmlReport, runs: list[Run], evaluations: list[RunEvaluation]) -> None:
    b.heading("Scores")
    b.explanation("cv_vs_holdout")
    cv = cv_table(runs)
    if not cv.empty:
        b.heading("Cross-validation (mean ± standard deviation over the folds)", 3)
        b.table(cv)
        metric = runs[0].default_metric
        spread = fold_scores(runs, metric)
        if spread:
            b.figures([plots.fold_spread(spread, METRICS[metric].label)])
            b.explanation("fold_spread")
    b.heading("Holdout", 3)
    b.table(holdout_table(evaluations))
    keys = [k for k in evaluations[0].metrics]
    b.add("<details><summary>What each score means</summary>")
    for key in keys:
        b.explanation(key)
    b.add("</details>")
    for e in evaluations:
        for note in e.notes:
            b.paragraph(note, "note")


def _classification_sections(b: HtmlReport, evaluations: list[RunEvaluation], names: dict[str, str]) -> None:
    b.heading("Confusion matrices (holdout)")
    for normalized in (False, True):
        b.figures([plots.confusion_heatmap(e.confusion, normalized, names[e.run.id]) for e in evaluations])
        b.explanation("confusion_normalized" if normalized else "confusion_counts")
    b.heading("Per-class report (holdout)")
    for e in evaluations:
        b.heading(names[e.run.id], 3)
        b.table(e.report.round(4), index=False)
    b.explanation("class_report")
    scored = [e for e in evaluations if e.scores is not None]
    if scored:
        b.heading("ROC and precision-recall curves (holdout)")
        labels = [c.label for c in scored[0].roc][: BUDGET.report_classes]
        for label in labels:
            roc = [(names[e.run.id], c) for e in scored for c in e.roc if c.label == label]
            pr = [(names[e.run.id], c) for e in scored for c in e.pr if c.label == label]
            if len(labels) > 1:
                b.heading(f"Class '{label}' against the rest", 3)
            b.figures([plots.roc_figure(roc), plots.pr_figure(pr)])
        b.explanation("roc")
        b.explanation("pr")
    calibrated = [(names[e.run.id], c) for e in evaluations for c in e.calibration[:1]]
    if calibrated:
        b.heading("Calibration (holdout)")
        b.figures([plots.calibration_figure(calibrated)])
        b.explanation("calibration")
    binary = [e for e in evaluations if e.threshold is not None]
    if binary:
        b.heading("Thresholds (binary)")
        b.paragraph(
            "The best thresholds below are chosen on the holdout rows that score them, so their scores "
            "are optimistic: use them to see the trade-off, and choose a threshold to deploy on the "
            "training rows' out-of-fold predictions (the app's Threshold tab does).",
            "note",
        )
        rows = []
        for e in binary:
            t = e.threshold
            for label, point in [("default", t.at(t.default))] + [
                (f"best {THRESHOLD_METRICS[m]} on the holdout", t.best(m))
                for m in ("f1", "balanced_accuracy")
            ]:
                rows.append(
                    {
                        "model": names[e.run.id],
                        "threshold": label,
                        "value": point.threshold,
                        "precision": point.precision,
                        "recall": point.recall,
                        "F1": point.f1,
                        "TP": point.tp,
                        "FP": point.fp,
                        "FN": point.fn,
                        "TN": point.tn,
                    }
                )
        b.table(pd.DataFrame(rows), index=False)
        b.explanation("threshold")


def _regression_sections(
    b: HtmlReport, evaluations: list[RunEvaluation], names: dict[str, str], dataset: Dataset | None
) -> None:
    series = {names[e.run.id]: e.residuals for e in evaluations}
    b.heading("Predictions and residuals (holdout)")
    b.figures([plots.predicted_vs_actual(series), plots.residuals_vs_predicted(series)])
    b.explanation("predicted_vs_actual")
    b.explanation("residuals_vs_predicted")
    b.figures([plots.residual_histogram(series)])
    b.explanation("residual_distribution")
    b.heading("Largest errors (holdout)")
    for e in evaluations:
        b.heading(names[e.run.id], 3)
        b.table(numbered(largest_errors(e.run, dataset, 10), dataset))
    b.explanation("largest_errors")
