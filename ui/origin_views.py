"""Where the loaded rows came from, said on the Data and Explore pages: a database read (and a button
to read it again), or a uniform sample of a table larger than memory beside the statistics DuckDB
computed on every row of it."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import pandas as pd
import streamlit as st

from mlcore.data.databases import DatabaseSpec, password_for
from mlcore.dataset import Dataset
from mlcore.errors import MLCoreError
from mlcore.formatting import plural
from mlcore.markup import markdown_text
from mlcore.origin import Origin, WholeTable
from mlcore.settings import DEFAULT
from mlcore.workspace import Workspace

REFRESH_PASSWORD = "refresh_password"
SAMPLE_HELP = (
    "A uniform random sample drawn with the session's seed (Train page): the same seed draws the same "
    "rows. Blank: as many rows as fit comfortably in memory."
)


def secrets() -> Mapping[str, Any] | None:
    """Streamlit's secrets.toml as a mapping, or None when the server has none."""
    try:
        return dict(st.secrets)
    except Exception:  # no secrets file: Streamlit raises its own error types for it
        return None


def sample_rows_input(key: str, value: int | None = None) -> None:
    """The sample size a user may choose, within the memory limit (the loader refuses a size that
    would not fit, with a hint)."""
    st.number_input(
        "Sample size (rows)",
        min_value=1_000,
        max_value=DEFAULT.limits.max_rows,
        value=value,
        step=10_000,
        key=key,
        help=SAMPLE_HELP,
    )


def sample_offer(what: str, rows_key: str, on_click: Callable[..., None], args: tuple = (), **button) -> None:
    """After a read too large for memory (an upload, a database table or query): the offer to have
    DuckDB summarise every row and load a uniform sample of a chosen size."""
    st.warning(
        f"{what} is larger than this server reads into memory. DuckDB can compute its overview on every "
        "row without holding it in memory, and the app can work on a uniform random sample of it "
        "(charts, profile, training).",
        icon=":material/database:",
    )
    sample_rows_input(rows_key)
    st.button("Summarise every row and load a sample", on_click=on_click, args=args, type="primary", **button)


def whole_table_frame(whole: WholeTable) -> pd.DataFrame:
    """The statistics of every row as one row per column, for a table on the page."""
    return pd.DataFrame(
        [
            {
                "column": c.name,
                "type": c.dtype,
                "values": c.count,
                "missing": c.missing,
                "distinct (≈)": c.distinct,
                "min": c.min,
                "max": c.max,
                "mean": c.mean,
                "std": c.std,
                "median (≈)": c.q50,
                "most frequent": ", ".join(f"{v} ({n:,})" for v, n in c.top),
            }
            for c in whole.columns
        ]
    )


def origin_panel(ws: Workspace, dataset: Dataset, *, refresh: bool = True) -> None:
    """The origin sentence; for a sample, the statistics of every row; for a database, Read again."""
    origin = dataset.origin
    if origin is None:
        return
    st.info(markdown_text(origin.sentence()), icon=":material/database:")
    if origin.whole is not None:
        whole_table_view(origin.whole)
    if refresh and (origin.table or origin.query):
        _refresh(ws, origin)


def whole_table_view(whole: WholeTable) -> None:
    with st.expander(
        f"Every row: {plural(whole.rows, 'row')}, computed by {whole.engine} in {whole.seconds:.1f} s",
        expanded=True,
    ):
        st.caption(
            "These statistics describe the whole table. Charts, the profile report and training use "
            "the sample, as stated above."
        )
        st.dataframe(whole_table_frame(whole), hide_index=True)


def _refresh(ws: Workspace, origin: Origin) -> None:
    with st.expander("Read again from the database"):
        st.caption(
            "Runs the same "
            + ("query" if origin.query else f"read of {markdown_text(origin.table)}")
            + ": changed rows become a new version of the dataset, in a project of its own."
        )
        if origin.query:
            st.code(origin.query, language="sql")
        if not origin.password_env:
            st.text_input("Password", type="password", key=REFRESH_PASSWORD, help="Used once, never saved.")
        st.button("Read again", on_click=_read_again, args=(ws, origin), key="refresh_database")


def _read_again(ws: Workspace, origin: Origin) -> None:
    """The password typed, else the one its environment variable or secrets.toml holds."""
    spec = DatabaseSpec(origin.location, origin.password_env)
    try:
        password = password_for(spec, st.session_state.get(REFRESH_PASSWORD) or None, secrets())
    except MLCoreError as exc:
        ws.problem = exc
        return
    ws.refresh_database(password)
