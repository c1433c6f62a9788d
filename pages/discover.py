"""Discover: groups, a map and the odd rows of a table, with or without a target; then put the
groups to use as a column, a download or a bundle."""

from __future__ import annotations

import streamlit as st

from mlcore.formatting import plural
from mlcore.markup import markdown_text
from ui.discover_tabs import anomalies_tab, choose_k_tab, clusters_tab, map_tab
from ui.discover_use import use_tab
from ui.guards import require_dataset
from ui.page import remembered_tabs
from ui.state import get_workspace, synced

ws = get_workspace()
st.title("Discover")
st.caption(
    "Find groups of similar rows, see every row on a map, and spot the rows unlike the others: no target "
    "needed. Each group is described in the table's own column names; name the groups and add them to "
    "the table as a new column that models can learn from."
)
dataset = require_dataset(ws, "look for groups")
features = dataset.features
st.caption(
    f"Uses {plural(len(features), 'feature column')} of '{markdown_text(dataset.name)}' "
    f"({plural(dataset.n_rows, 'row')}), prepared as on the Prepare page (scaling, encoding, missing "
    "values)"
    + (f"; the target '{markdown_text(dataset.target)}' is not a feature." if dataset.target else ".")
    + " Change the columns' roles on the Data page."
)
st.number_input(
    "Seed",
    0,
    2**31 - 1,
    ws.seed,
    help="Every random step (starting centres, samples, t-SNE) uses it: the same seed gives the same result. "
    "It is the Train page's seed too.",
    **synced(ws, "discover.seed", lambda v: ws.configure(seed=int(v))),
)
remembered_tabs(
    "discover",
    {
        "Clusters": lambda: clusters_tab(ws, dataset),
        "How many clusters?": lambda: choose_k_tab(ws, dataset),
        "Map": lambda: map_tab(ws, dataset),
        "Anomalies": lambda: anomalies_tab(ws, dataset),
        "Use the result": lambda: use_tab(ws, dataset),
    },
)
