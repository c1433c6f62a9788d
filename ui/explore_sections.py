"""The parts of the Explore page: summary figures, alerts, and one function per tab.

Each function only draws what `mlcore` computed (through the cached helpers in `ui.explore_cache`).
"""

from __future__ import annotations

from itertools import groupby

import streamlit as st

from mlcore.dataset import Dataset
from mlcore.explore.alerts import Alert, Severity
from mlcore.explore.overview import Overview
from mlcore.explore.plots import MAX_MATRIX_COLUMNS, METHODS
from mlcore.explore.target_view import TargetView
from mlcore.formatting import size
from mlcore.markup import markdown_text
from mlcore.schema import ColumnType, Task
from ui.explore_cache import data_key, draw_chart, overview_table

SHOWN_PER_GROUP = 6
FEW_GROUPS = 3  # with this few kinds of alert, every group is opened
NUMBER = st.column_config.NumberColumn(format="%.4g")


def draw_summary(overview: Overview) -> None:
    summary = overview.dataset
    cells = st.columns(5)
    cells[0].metric("Rows", f"{summary.rows:,}")
    cells[1].metric("Columns", summary.columns)
    cells[2].metric("Memory", size(summary.memory))
    cells[3].metric("Duplicate rows", f"{summary.duplicate_rows:,}")
    cells[4].metric(
        "Missing cells",
        f"{summary.missing_cells:,}",
        f"{summary.missing_share:.1%} of all cells",
        "off",
        delta_arrow="off",
    )
    st.caption("Column types: " + ", ".join(f"{n} {t}" for t, n in summary.type_counts))


def draw_alerts(alerts: list[Alert]) -> None:
    """Alerts grouped by kind, warnings first; each group says why it matters and what to do."""
    st.subheader(f"Alerts ({len(alerts)})")
    if not alerts:
        st.success("No data-quality problems found.", icon=":material/check_circle:")
        return
    groups = [(key, list(group)) for key, group in groupby(alerts, key=lambda a: (a.severity, a.kind))]
    for (severity, kind), group in groups:
        warning = severity is Severity.WARNING
        columns = [a.column for a in group if a.column]
        label = group[0].title if len(group) == 1 else f"{kind.value.capitalize()} in {len(group)} columns"
        if len(group) > 1:
            label += (
                ": " + ", ".join(columns[:SHOWN_PER_GROUP]) + ("…" if len(columns) > SHOWN_PER_GROUP else "")
            )
        label = markdown_text(label)  # column names in it are text
        icon = ":material/warning:" if warning else ":material/info:"
        expanded = len(groups) <= FEW_GROUPS or (warning and len(group) <= FEW_GROUPS)
        with st.expander(label, icon=icon, expanded=expanded):
            for alert in group:
                explanation = markdown_text(alert.explanation)
                st.markdown(
                    f"**{markdown_text(alert.title)}** — {explanation}" if len(group) > 1 else explanation
                )
            st.markdown(f"**What to do:** {markdown_text(group[0].fix)}")


def columns_tab(dataset: Dataset) -> None:
    key = data_key(dataset)
    st.dataframe(
        overview_table(key, dataset),
        hide_index=True,
        placeholder="",  # a mean of text, a distinct count not taken: blank, not "None"
        column_config={
            "missing %": st.column_config.NumberColumn(format="%.1f %%"),
            **{name: NUMBER for name in ("mean", "std", "25%", "50%", "75%", "skew")},
        },
    )
    names = [c.name for c in dataset.columns]
    default = dataset.features[0] if dataset.features else names[0]
    column = st.selectbox("Look at a column", names, index=names.index(default), key=f"explore_column@{key}")
    left, right = st.columns(2)
    target = dataset.target if dataset.target != column else None
    classification = dataset.task is Task.CLASSIFICATION
    with left:
        draw_chart("distribution", dataset, column=column, color=target if classification else None)
    with right:
        _against_target(dataset, column, target)


def _against_target(dataset: Dataset, column: str, target: str | None) -> None:
    """The best chart of one column against the target for the column's type and the task."""
    if target is None:
        st.caption("Choose a target on the Data page to see this column against it.")
        return
    numeric = dataset.column(column).ctype is ColumnType.NUMERIC
    if dataset.task is Task.CLASSIFICATION:
        if numeric:
            draw_chart("box", dataset, value=column, group=target)
        else:
            draw_chart("distribution", dataset, column=column, color=target, normalize=True)
    elif numeric:
        draw_chart("scatter", dataset, x=column, y=target)
    else:
        draw_chart("box", dataset, value=target, group=column)


def relations_tab(dataset: Dataset, view: TargetView | None) -> None:
    key = data_key(dataset)
    method = st.segmented_control(
        "Measure",
        list(METHODS),
        default="pearson",
        format_func=lambda m: METHODS[m].split(" (")[0],
        key="explore_method",
        required=True,
    )
    st.caption(METHODS[method])
    draw_chart("correlation", dataset, method=method)
    numeric = [c.name for c in dataset.columns if c.ctype is ColumnType.NUMERIC]
    if len(numeric) < 2:
        st.info("Scatter plots need at least two numeric columns.")
        return
    ranked = [r.column for r in view.relations if r.column in numeric] if view else []
    ranked += [c for c in numeric if c not in ranked]  # strongest features first, then the rest
    color = dataset.target
    st.subheader("Scatter plot")
    left, right = st.columns(2)
    x = left.selectbox("x", numeric, index=numeric.index(ranked[0]), key=f"explore_x@{key}")
    y = right.selectbox("y", numeric, index=numeric.index(ranked[1]), key=f"explore_y@{key}")
    draw_chart("scatter", dataset, x=x, y=y, color=color)
    st.subheader("Scatter matrix")
    chosen = st.multiselect(
        f"Columns (2 to {MAX_MATRIX_COLUMNS})",
        numeric,
        default=ranked[:4],
        max_selections=MAX_MATRIX_COLUMNS,
        key=f"explore_matrix@{key}",
    )
    if len(chosen) >= 2:
        draw_chart("scatter_matrix", dataset, columns=chosen, color=color)


def missing_tab(dataset: Dataset, overview: Overview) -> None:
    if not overview.dataset.missing_cells:
        st.success("No cell is missing.", icon=":material/check_circle:")
        return
    st.caption(
        "Each row of the chart is a combination of columns that are missing together, with how many rows "
        "have it. Values missing together often share a cause (a form page skipped, a sensor offline)."
    )
    draw_chart("missing", dataset)


def target_tab(dataset: Dataset, view: TargetView | None) -> None:
    if view is None or dataset.target is None:
        st.info("Choose a target on the Data page to see how each feature relates to it.")
        return
    classification = dataset.task is Task.CLASSIFICATION
    sample = (
        f" (on a uniform sample of {view.rows_used:,} of {view.rows_total:,} rows)" if view.sampled else ""
    )
    st.subheader("Features ranked by their relation to the target")
    st.caption(
        f"Mutual information: how much knowing the feature (cut into up to {view.bins} bins) tells about "
        f"'{view.target}'{sample}. The one-feature model predicts the target from that feature alone, fitted "
        f"on half the rows and scored ({view.score_name}) on the other half; ignoring every feature scores "
        f"{view.baseline:.2f}. {view.correlation_meaning}"
    )
    table = view.table()
    st.dataframe(
        table,
        hide_index=True,
        placeholder="",  # no score on tiny tables, no correlation where it means nothing: blank, not "None"
        column_config={
            "share of target uncertainty explained": st.column_config.ProgressColumn(
                min_value=0, max_value=1
            ),
            "mutual information": NUMBER,
            table.columns[4]: NUMBER,
            "correlation": NUMBER,
        },
    )
    st.subheader("The strongest features against the target")
    for row_start in range(0, min(4, len(view.relations)), 2):
        cells = st.columns(2)
        for cell, column in zip(cells, view.top(4)[row_start : row_start + 2], strict=False):
            with cell:
                if classification:
                    draw_chart("distribution", dataset, column=column, color=dataset.target, normalize=True)
                else:
                    _against_target(dataset, column, dataset.target)
    if classification:
        st.subheader("Box or violin by class")
        numeric = [r.column for r in view.relations if r.ctype is ColumnType.NUMERIC]
        if numeric:
            left, right = st.columns([3, 1])
            value = left.selectbox("Feature", numeric, key=f"explore_box@{data_key(dataset)}")
            kind = right.segmented_control(
                "Chart", ["box", "violin"], default="box", key="explore_box_kind", required=True
            )
            draw_chart("box", dataset, value=value, group=dataset.target, kind=kind)
