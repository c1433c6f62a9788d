"""Explore: the table at a glance (statistics, alerts, charts, target relations) and the full report."""

from __future__ import annotations

import streamlit as st

from mlcore.markup import markdown_text
from mlcore.schema import Task
from ui import explore_cache as cache
from ui.explore_report import report_tab
from ui.explore_sections import (
    columns_tab,
    draw_alerts,
    draw_summary,
    missing_tab,
    relations_tab,
    target_tab,
)
from ui.origin_views import whole_table_view
from ui.page import remembered_tabs
from ui.state import get_workspace

ws = get_workspace()
st.title("Explore")
dataset = ws.dataset
if dataset is None:
    st.info("No dataset yet: load one on the **Data** page first.")
    st.stop()

key = cache.data_key(dataset)
overview = cache.overview(key, dataset)
view = cache.target_view(key, dataset)
alerts = cache.alerts(key, dataset)

if dataset.origin is not None and dataset.origin.whole is not None:
    st.info(markdown_text(dataset.origin.sentence()), icon=":material/database:")
    whole_table_view(dataset.origin.whole)
    st.caption(f"Below: the sample of {dataset.n_rows:,} rows the app works on.")
else:
    st.caption(
        f"{markdown_text(dataset.name)} · statistics use all {dataset.n_rows:,} rows; charts that draw one "
        "mark per row use a uniform random sample, stated on the chart."
    )
draw_summary(overview)
left, right = st.columns([3, 2])
with left:
    draw_alerts(alerts)
with right:
    if dataset.target is not None:
        classification = dataset.task is Task.CLASSIFICATION
        cache.draw_chart(
            "target", dataset, target=dataset.target, classification=classification, height=340, place="top"
        )
    else:
        cache.draw_chart("missing", dataset, height=340, place="top")


remembered_tabs(
    "explore",
    {
        "Columns": lambda: columns_tab(dataset),
        "Relations": lambda: relations_tab(dataset, view),
        "Missing values": lambda: missing_tab(dataset, overview),
        "Target": lambda: target_tab(dataset, view),
        "Full report": lambda: report_tab(ws, dataset),
    },
)
