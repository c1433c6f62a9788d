"""The Data page's database source: connect by URL (or an uploaded SQLite/DuckDB file), browse the
tables, preview one, load it or a read-only query as the dataset.

The password lives in its masked widget for this session only: a URL typed with one is split on
Connect, the field keeps the URL without it, and nothing of it reaches the workspace, the project or
a message. The connection itself is not kept open between reruns: each action opens, reads, closes.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass, replace
from pathlib import Path

import pandas as pd
import streamlit as st
import xxhash

from mlcore.data.database_loading import DEFAULT_ROW_LIMIT, DatabaseRead
from mlcore.data.databases import (
    SUPPORTED,
    Database,
    DatabaseSpec,
    TableFact,
    file_url,
    parse_url,
    password_for,
)
from mlcore.errors import DatabaseError, LimitExceededError, MLCoreError
from mlcore.formatting import plural
from mlcore.markup import markdown_text
from mlcore.workspace import Workspace
from ui.feedback import show_problem
from ui.origin_views import sample_offer, secrets

URL_KEY, PASSWORD_KEY, FILE_KEY, MODE_KEY = "db_url", "db_password", "db_file", "db_mode"
STATE_KEY, PROBLEM_KEY, PREVIEW_KEY = "db_connected", "db_problem", "db_preview"
TABLE_KEY, LIMIT_KEY, QUERY_KEY = "db_table", "db_row_limit", "db_query"
LAST_READ_KEY, SAMPLE_KEY = "db_last_read", "db_sample_rows"
PREVIEW_ROWS = 20
SAVED_FILES_KEPT = 20  # uploaded database files kept on the server (each at most the upload limit)
FILE_TYPES = ["sqlite", "sqlite3", "db", "duckdb"]
BY_URL, BY_FILE = "a server (URL)", "a SQLite or DuckDB file"
EXAMPLE_URL = "postgresql://analyst@localhost:5432/sales"


@dataclass
class Connected:
    """What the session knows of the database it connected to (never its password)."""

    spec: DatabaseSpec
    tables: list[TableFact]


def _password(spec: DatabaseSpec) -> str | None:
    return password_for(spec, st.session_state.get(PASSWORD_KEY) or None, secrets())


def _saved_file(data: bytes) -> Path:
    """An uploaded database file kept while this server runs, named by its content (so Read again finds
    it, and nothing of the user's file name reaches a path or a URL); the oldest beyond
    `SAVED_FILES_KEPT` are removed, so a class's uploads cannot fill the disk."""
    folder = Path(tempfile.gettempdir()) / "mlcore-databases"
    folder.mkdir(mode=0o700, exist_ok=True)
    path = folder / f"{xxhash.xxh3_128_hexdigest(data)}.db"
    if not path.exists():
        path.write_bytes(data)
    path.touch()
    for old in sorted(folder.glob("*.db"), key=lambda p: p.stat().st_mtime)[:-SAVED_FILES_KEPT]:
        old.unlink(missing_ok=True)
    return path


def _connect() -> None:
    """Split a typed password out of the URL, open the database, list its tables."""
    st.session_state[PROBLEM_KEY] = None
    try:
        if st.session_state.get(MODE_KEY) == BY_FILE:
            uploaded = st.session_state.get(FILE_KEY)
            if uploaded is None:
                raise DatabaseError("No file chosen yet.", "Choose a SQLite or DuckDB file above.")
            spec, typed = DatabaseSpec(file_url(_saved_file(uploaded.getvalue()))), None
        else:
            spec, typed = parse_url(st.session_state.get(URL_KEY, ""))
        if typed:
            st.session_state[PASSWORD_KEY] = typed
        st.session_state[URL_KEY] = spec.url
        with Database(spec, _password(spec)) as database:
            tables = database.tables()
    except MLCoreError as exc:
        st.session_state[PROBLEM_KEY] = exc
        return
    st.session_state[STATE_KEY] = Connected(spec, tables)
    st.session_state.pop(PREVIEW_KEY, None)


def _disconnect() -> None:
    for key in (STATE_KEY, PREVIEW_KEY, PROBLEM_KEY, PASSWORD_KEY):
        st.session_state.pop(key, None)


def _preview(connected: Connected, table: str) -> pd.DataFrame | None:
    """The table's first rows, read once per table chosen."""
    kept = st.session_state.get(PREVIEW_KEY)
    if kept is not None and kept[0] == table:
        return kept[1]
    try:
        with Database(connected.spec, _password(connected.spec)) as database:
            rows = database.preview(table, PREVIEW_ROWS)
    except MLCoreError as exc:
        st.session_state[PROBLEM_KEY] = exc
        return None
    st.session_state[PREVIEW_KEY] = (table, rows)
    return rows


def _load(ws: Workspace, connected: Connected, read: DatabaseRead) -> None:
    """Load `read` as the dataset; remembered, so a result too large for memory can be sampled."""
    st.session_state[PROBLEM_KEY] = None
    try:
        password = _password(connected.spec)
    except MLCoreError as exc:
        st.session_state[PROBLEM_KEY] = exc
        return
    st.session_state[LAST_READ_KEY] = read
    ws.load_database(connected.spec, password, read)


# The table, query and limit are read at the click, not when the button was drawn (a click may arrive
# with a change the page has not redrawn for).
def _load_table(ws: Workspace, connected: Connected) -> None:
    table = st.session_state[TABLE_KEY]
    _load(ws, connected, DatabaseRead(table=table, row_limit=int(st.session_state[LIMIT_KEY])))


def _load_query(ws: Workspace, connected: Connected) -> None:
    query = st.session_state.get(QUERY_KEY, "").strip()
    _load(ws, connected, DatabaseRead(query=query, row_limit=int(st.session_state[LIMIT_KEY])))


def _load_sample(ws: Workspace, connected: Connected, read: DatabaseRead) -> None:
    rows = st.session_state.get(SAMPLE_KEY) or None
    _load(ws, connected, replace(read, sample=True, sample_rows=rows, seed=ws.seed))


def _table_label(fact: TableFact) -> str:
    rows = "rows unknown" if fact.rows is None else plural(fact.rows, "row")
    return f"{fact.qualified} · {rows} · {plural(len(fact.columns), 'column')}"


def database_tab(ws: Workspace) -> None:
    """Connect, browse, preview, load."""
    connected: Connected | None = st.session_state.get(STATE_KEY)
    if connected is None:
        _connect_form()
    else:
        _browser(ws, connected)
    show_problem(st.session_state.get(PROBLEM_KEY))


def _connect_form() -> None:
    if st.radio("Connect to", [BY_URL, BY_FILE], horizontal=True, key=MODE_KEY) == BY_URL:
        names = ", ".join(sorted(set(SUPPORTED.values())))
        st.text_input(
            "Database URL",
            key=URL_KEY,
            placeholder=EXAMPLE_URL,
            help=f"A SQLAlchemy URL: {names}. Write the password as ${{VARIABLE}} to read it from that "
            "environment variable of the server (or secrets.toml's [databases] table).",
        )
        st.text_input(
            "Password",
            key=PASSWORD_KEY,
            type="password",
            help="Used for this session only: never saved with the project, in MLflow or in logs.",
        )
        st.button("Connect", on_click=_connect, type="primary", key="db_connect")
    else:  # connected as soon as the file arrives
        st.file_uploader("SQLite or DuckDB file", type=FILE_TYPES, key=FILE_KEY, on_change=_connect)
    st.caption("Every query runs read-only, with a time limit and a row limit.")


def _browser(ws: Workspace, connected: Connected) -> None:
    left, right = st.columns([4, 1])
    left.markdown(
        f"Connected to **{markdown_text(connected.spec.url)}** · {plural(len(connected.tables), 'table')}"
    )
    right.button("Disconnect", on_click=_disconnect, key="db_disconnect")
    st.number_input(
        "Row limit", min_value=1, max_value=5_000_000, value=DEFAULT_ROW_LIMIT, step=10_000, key=LIMIT_KEY
    )
    table_tab, query_tab = st.tabs(["Pick a table", "Write a query"])
    with table_tab:
        _table_picker(ws, connected)
    with query_tab:
        st.text_area("SELECT query", key=QUERY_KEY, placeholder="SELECT * FROM sales WHERE year >= 2024")
        st.button(
            "Run query and load",
            on_click=_load_query,
            args=(ws, connected),
            disabled=not st.session_state.get(QUERY_KEY, "").strip(),
            type="primary",
            key="db_run_query",
        )
    _sample_offer(ws, connected)


def _sample_offer(ws: Workspace, connected: Connected) -> None:
    """After a read too large for memory: every row summarised by DuckDB, a uniform sample loaded."""
    read: DatabaseRead | None = st.session_state.get(LAST_READ_KEY)
    if read is None or read.sample or not isinstance(ws.problem, LimitExceededError):
        return
    sample_offer(
        markdown_text(read.name), SAMPLE_KEY, _load_sample, (ws, connected, read), key="db_load_sample"
    )


def _table_picker(ws: Workspace, connected: Connected) -> None:
    if not connected.tables:
        st.info("This database has no tables you may read.")
        return
    labels = {fact.qualified: _table_label(fact) for fact in connected.tables}
    table = st.selectbox("Table", list(labels), format_func=labels.get, key=TABLE_KEY)
    fact = next(f for f in connected.tables if f.qualified == table)
    st.dataframe(
        pd.DataFrame(fact.columns, columns=["column", "type"]),
        hide_index=True,
        height=min(300, 38 + 35 * len(fact.columns)),
    )
    rows = _preview(connected, table)
    if rows is not None:
        st.caption(f"The first {plural(len(rows), 'row')}:")
        st.dataframe(rows, hide_index=True)
    st.button(
        "Load this table",
        on_click=_load_table,
        args=(ws, connected),
        type="primary",
        key="db_load_table",
    )
