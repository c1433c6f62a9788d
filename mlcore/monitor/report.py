"""A check as one offline HTML page (`mlcore monitor … --report`): the verdict, each feature's test and
sentence, the charts of what moved, the predictions, the model's score, and the timeline."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

import pandas as pd

from mlcore.evaluate.report import HtmlReport
from mlcore.monitor import plots
from mlcore.monitor.batches import Batch
from mlcore.monitor.check import Check
from mlcore.monitor.drift import p_text
from mlcore.monitor.subject import Watched
from mlcore.monitor.timeline import timeline_points

CHARTED = 6  # drifted features drawn, most relied-on first


def plain_text(markdown: str) -> str:
    """A sentence written for Markdown as plain text (code spans and escapes undone)."""
    return re.sub(r"\\(.)", r"\1", markdown).replace("`", "")


def feature_table(check: Check) -> pd.DataFrame:
    """One row per feature: its test, p and corrected q, the size of the change and the verdict."""
    return pd.DataFrame(
        [
            {
                "feature": f.name,
                "verdict": verdict(f.drifted, f.significant, f.tested),
                "change": f.effect,
                "counts from": f.floor,
                "p": p_text(f.p_value),
                "q (corrected)": p_text(f.q_value),
                "importance": f.importance,
                "PSI": f.psi,
                "change measured as": f.effect_name,
                "test": f.test,
            }
            for f in check.drift.features
        ]
    )


def verdict(drifted: bool, significant: bool, tested: bool) -> str:
    if not tested:
        return "not tested"
    if drifted:
        return "drifted"
    return "real but small" if significant else "no change beyond chance"


def monitor_report(check: Check, watched: Watched, batch: Batch, timeline: list[dict[str, Any]]) -> str:
    b = HtmlReport()
    b.heading(f"Monitoring {watched.title}", 1)
    when = datetime.fromtimestamp(check.time, UTC).strftime("%Y-%m-%d %H:%M UTC")
    b.paragraph(
        f"Batch: {batch.name} · {check.drift.n_current:,} new rows against the {check.drift.n_reference:,} "
        f"rows the model learned from · checked {when}",
        "note",
    )
    b.paragraph(plain_text(check.sentence), "warning" if check.drifted else "")
    for note in check.notes:
        b.paragraph(plain_text(note), "note")
    b.heading("Features")
    b.table(feature_table(check), index=False)
    for feature in check.drift.features:
        b.paragraph(plain_text(feature.sentence))
    moved = [f for f in check.drift.features if f.drifted][:CHARTED]
    b.figures([plots.overview_figure(check.drift)])
    if moved:
        b.figures(
            [
                plots.distribution_figure(watched.reference[f.name], batch.features[f.name], f.kind, f.name)
                for f in moved
            ]
        )
    b.heading("The model's predictions")
    b.paragraph(plain_text(check.predictions_sentence))
    if check.decay is not None:
        b.heading("The model's score")
        b.paragraph(plain_text(check.decay.sentence))
    if len(timeline) > 1:
        b.heading("Every check of this model")
        b.figures([plots.timeline_figure(*timeline_points(timeline))])
    return b.page(f"Monitoring {watched.title}")
