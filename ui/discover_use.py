"""Discover's results put to use: cluster labels (named by the user) or anomaly scores added as a new
column that supervised training can use, the labelled table as a safe CSV, and the clustering as a
bundle that reproduces the labels without the workbench."""

from __future__ import annotations

import numpy as np
import pandas as pd
import streamlit as st

from mlcore.compute.jobs import JobState
from mlcore.dataset import Dataset
from mlcore.discover.anomalies import Anomalies
from mlcore.discover.clustering import cluster_name, cluster_order
from mlcore.discover.export import bundle_name, cluster_bundle, free_column, labelled_csv, labelled_name
from mlcore.discover.session import Discovery
from mlcore.markup import markdown_text
from mlcore.schema import ColumnType
from mlcore.workspace import Workspace
from ui.discover_tabs import current_clusters
from ui.feedback import show_problem

ADDED = "discover.added"  # the message shown after a column was added (the page reruns on new data)
REFUSED = "discover.refused"  # why the column was not added
NAMES = "discover.names"
NAME_COLUMNS = 3  # name boxes side by side
MAX_NAME = 60


def use_tab(ws: Workspace, dataset: Dataset) -> None:
    if ADDED in st.session_state:
        st.success(st.session_state.pop(ADDED), icon=":material/check_circle:")
        st.page_link("pages/train.py", label="Train a model that uses it", icon=":material/model_training:")
        return
    show_problem(st.session_state.pop(REFUSED, None))
    found = current_clusters(ws, dataset)
    scores = _current_scores(ws, dataset)
    if found is None and scores is None:
        st.info(
            "Find clusters (or anomalies) first: their labels and scores can then become a column of the "
            "table, a download, or a bundle.",
            icon=":material/info:",
        )
        return
    columns: dict[str, np.ndarray] = {}
    score_name = free_column(dataset, "anomaly_score")
    if found is not None:
        labels = _named_labels(found, ws.discover.clusters_key(dataset, ws.prep, ws.seed))
        name = st.text_input(
            "Name of the cluster column", free_column(dataset, "cluster"), key="discover.column"
        ).strip()
        problem = _name_problem(dataset, name, score_name)
        if problem:
            st.warning(problem, icon=":material/edit:")
        else:
            st.button(
                "Add the clusters as a column",
                type="primary",
                icon=":material/add_column_right:",
                on_click=_add,
                args=(ws, name, labels, ColumnType.CATEGORICAL, f"{found.fit.estimator_name} clusters"),
                help="A new version of the table, in a project of its own: the Train page can then use "
                "the cluster as a feature (or as the target).",
            )
            columns[name] = labels
    if scores is not None:
        if len(scores.rows) == dataset.n_rows:
            values = np.empty(dataset.n_rows)
            values[scores.rows] = scores.scores
            st.button(
                "Add the anomaly scores as a column",
                icon=":material/add_column_right:",
                on_click=_add,
                args=(ws, score_name, values, ColumnType.NUMERIC, f"{scores.method} anomaly scores"),
            )
            columns[score_name] = values
        else:
            st.caption(
                markdown_text(
                    f"The anomaly scores cover a sample of the rows ({scores.note}), so they are not added."
                )
            )
    st.download_button(
        "Download the labelled table (.csv)",
        data=lambda: labelled_csv(dataset, columns),
        file_name=labelled_name(dataset),
        mime="text/csv",
        icon=":material/download:",
        on_click="ignore",
        help="Every row with the new columns; cells a spreadsheet would run as a formula are escaped.",
    )
    if found is not None:
        st.download_button(
            "Download the clustering as a bundle (.zip)",
            data=lambda: cluster_bundle(found.fit, dataset).zip_bytes(),
            file_name=bundle_name(found.fit, dataset),
            mime="application/zip",
            icon=":material/download:",
            on_click="ignore",
            help="The fitted pipeline (joblib and skops), a card, and cluster.py: a plain scikit-learn "
            "script that reproduces these labels from the data file.",
        )


def _named_labels(found: Discovery, key: tuple) -> np.ndarray:
    """Each row's cluster by the name the user gives it (by default 'cluster 0' …, 'noise'); each box
    says the cluster's size and what sets it apart."""
    order = cluster_order(found.fit.labels)
    sizes = pd.Series(found.fit.labels).value_counts()
    standouts = {p.label: ", ".join(t.gist for t in p.standouts) for p in found.profiles.clusters}
    st.caption("Name the groups: the names become the column's values.")
    names: dict[int, str] = {}
    grid = st.columns(NAME_COLUMNS)
    for i, label in enumerate(order):
        default = cluster_name(label)
        about = standouts.get(label, "in no cluster") or "close to the whole table"
        with grid[i % NAME_COLUMNS]:
            typed = st.text_input(
                f"{default} · {int(sizes[label]):,} rows · {about}",
                default,
                max_chars=MAX_NAME,
                key=f"{NAMES}.{hash(key)}.{label}",
            )
        names[label] = typed.strip() or default
    return pd.Series(found.fit.labels).map(names).to_numpy(dtype=object)


def _name_problem(dataset: Dataset, name: str, score_name: str) -> str:
    """Why `name` cannot be the new column's, or ''."""
    if not name:
        return "Type a name for the column of clusters."
    if name in {str(c) for c in dataset.frame.columns} or name == score_name:
        return f"The table already has a column called '{markdown_text(name)}': choose another name."
    return ""


def _add(ws: Workspace, name: str, values: np.ndarray, ctype: ColumnType, about: str) -> None:
    if ws.add_column(name.strip(), values, ctype, about):
        st.session_state[ADDED] = (
            f"Added the column '{markdown_text(name)}': the table is now "
            f"'{markdown_text(ws.dataset.name)}', in a new project."
        )
    else:
        st.session_state[REFUSED] = ws.problem


def _current_scores(ws: Workspace, dataset: Dataset) -> Anomalies | None:
    entry = ws.discovery(ws.discover.anomalies_key(dataset, ws.prep, ws.seed))
    return entry.result if entry.state is JobState.DONE else None
