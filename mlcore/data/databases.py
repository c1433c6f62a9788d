"""Database sources: browse a database's tables, and read a table or a SELECT as a `RawTable`.

This module holds what every database shares: URLs (`DatabaseSpec`, `parse_url`, `file_url`), where
passwords come from, and `Database`, which lists, counts, previews, reads and exports rows. How each kind
of database is opened, bounded in time, read as CSV text and its errors sorted is in `database_backends`,
one class per database. Three rules shape both:

- Read-only by construction, whatever the text of a query: every connection is opened read-only and every
  statement is bounded in time (PostgreSQL and MySQL/MariaDB by the server, SQLite and DuckDB by a timer
  that interrupts the connection). `check_select` refuses anything but one query before it is sent.
- Rows travel as the text of a CSV file, handed to `read_table`: a table in a database and the same
  table saved as CSV load with the same column types, notes and limits.
- Every driver failure becomes a `DatabaseError` with a plain message and hint (`_FAILURES`, by the kind
  the backend names); no message, `repr` or chained traceback holds the password.
"""

from __future__ import annotations

import io
import os
import re
import tempfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from functools import cached_property
from itertools import groupby
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import quote

import duckdb
import pandas as pd
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError

from mlcore.data.database_backends import BACKENDS, CsvSink, scalar
from mlcore.data.database_backends import TableFact as TableFact  # a public name of this module
from mlcore.data.readers import RawTable, read_table
from mlcore.data.sql_text import check_select
from mlcore.errors import DatabaseError, QueryRefusedError
from mlcore.settings import DEFAULT, Limits

SUPPORTED = {
    "postgresql": "PostgreSQL",
    "mysql": "MySQL",
    "mariadb": "MariaDB",
    "sqlite": "SQLite",
    "duckdb": "DuckDB",
}
ALIASES = {"postgres": "postgresql"}
FILE_DIALECTS = ("sqlite", "duckdb")
COUNT_SECONDS = 5.0  # the most `tables()` waits for one table's exact row count
BATCH_ROWS = 10_000  # rows fetched at a time where rows are fetched (not PostgreSQL)
CHECK_BYTES = 8 * 2**20  # how often the limits are checked while CSV text is gathered
SQLITE_MAGIC = b"SQLite format 3\x00"
DUCKDB_MAGIC, DUCKDB_MAGIC_AT = b"DUCK", 8  # after an 8-byte checksum
_URL_HINT = (
    "Write it as dialect://user@host:port/database, where dialect is one of: "
    + ", ".join(SUPPORTED)
    + " (for example postgresql://ann@db.example.com:5432/sales, or sqlite:///path/to/file.db)."
)
_VARIABLE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")
T = TypeVar("T")


class QueryTimeoutError(DatabaseError):
    """A statement ran past the time limit and was stopped by the database."""


# ---------- where a database is ----------


@dataclass(frozen=True)
class DatabaseSpec:
    """Where a database is and where its password comes from: safe to store in a project and to show."""

    url: str  # a SQLAlchemy URL with no password in it
    password_env: str = ""  # the environment variable holding the password ("": typed per session, or none)

    def __post_init__(self) -> None:
        """Refuse what cannot be used or must not be stored: an unsupported dialect, a password."""
        url = _url(self.url)
        _dialect(url)
        if url.password is not None:
            raise DatabaseError(
                "A stored database URL must not hold a password.",
                "Keep the password out of the URL: type it, or name an environment variable that holds it.",
            )

    @property
    def dialect(self) -> str:
        return _dialect(_url(self.url))


def parse_url(text: str) -> tuple[DatabaseSpec, str | None]:
    """A typed URL as a spec without its password, and the password it held (None if none or `${VAR}`)."""
    url = _url(text)
    dialect = _dialect(url)
    password = url.password
    variable = _VARIABLE.fullmatch(password or "")
    bare = URL.create(dialect, url.username, None, url.host, url.port, url.database, url.query)
    spec = DatabaseSpec(bare.render_as_string(hide_password=False), variable.group(1) if variable else "")
    return spec, None if variable else password


def password_for(
    spec: DatabaseSpec, typed: str | None = None, secrets: Mapping[str, Any] | None = None
) -> str | None:
    """The password to connect with: typed, else the spec's environment variable, else Streamlit secrets.

    Secrets are looked up in their `[databases]` table under the variable's name, or else under the
    URL's `host/database`. A named variable found nowhere is an error that names it (never a value).
    """
    if typed:
        return typed
    if spec.password_env and os.environ.get(spec.password_env):
        return os.environ[spec.password_env]
    url = _url(spec.url)
    stored = (secrets or {}).get("databases", {})
    key = spec.password_env or f"{url.host}/{url.database}"
    if key in stored:
        return str(stored[key])
    if spec.password_env:
        raise DatabaseError(
            f"The environment variable {spec.password_env} that should hold the password is not set.",
            f"Set {spec.password_env} before starting the app, add it to the [databases] table of "
            ".streamlit/secrets.toml, or type the password.",
        )
    return None


def file_url(path: Path) -> str:
    """The URL of an uploaded SQLite or DuckDB file, recognised by its first bytes (opened read-only)."""
    try:
        with open(path, "rb") as handle:
            head = handle.read(16)
    except OSError as exc:
        raise DatabaseError(f"The file {path.name} could not be read.", "Upload it again.") from exc
    if head.startswith(SQLITE_MAGIC):
        dialect = "sqlite"
    elif head[DUCKDB_MAGIC_AT:].startswith(DUCKDB_MAGIC):
        dialect = "duckdb"
    else:
        raise DatabaseError(
            f"{path.name} is not a SQLite or DuckDB database file.",
            "Upload the database file itself, or export the table as CSV or Parquet and upload that.",
        )
    return URL.create(dialect, database=str(Path(path).resolve())).render_as_string()


def _url(text: str) -> URL:
    try:
        return make_url(text.strip())
    except (ArgumentError, ValueError):
        raise DatabaseError("This is not a database URL.", _URL_HINT) from None


def _dialect(url: URL) -> str:
    name = url.drivername.partition("+")[0].lower()
    name = ALIASES.get(name, name)
    if name not in SUPPORTED:
        raise DatabaseError(f"'{name}' databases are not supported.", _URL_HINT)
    return name


def _file(url: URL) -> None:
    """Refuse a SQLite or DuckDB URL that names no file (an in-memory database would be empty)."""
    if not url.database or url.database == ":memory:":
        raise DatabaseError("The URL names no database file.", _URL_HINT)


# ---------- what a database holds ----------


class Database:
    """One read-only connection to a database: browse it, count, preview and read rows, export them."""

    def __init__(self, spec: DatabaseSpec, password: str | None = None, timeout_s: float = 30.0) -> None:
        self.spec = spec
        self.timeout_s = timeout_s
        self._password = password
        backend = BACKENDS[spec.dialect]
        url = _url(spec.url)
        if spec.dialect in FILE_DIALECTS:
            _file(url)
        try:
            self._backend = backend.open(url, password, timeout_s)
        except backend.driver_errors() as exc:
            raise self._explain(exc, backend.kind(exc), timeout_s) from None

    def __repr__(self) -> str:
        return f"Database({self.spec.url!r})"

    def __enter__(self) -> Database:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def close(self) -> None:
        self._backend.close()

    def tables(self) -> list[TableFact]:
        """Every table and view this user can read (system schemas left out), with its row count."""
        return [self._counted(fact) for fact in self._catalog]

    def preview(self, table: str, rows: int = 20) -> pd.DataFrame:
        """The first `rows` rows of a table, typed as `read` types them (an empty table: no rows)."""
        fact = self._fact(table)
        data, count, _ = self._csv(self._backend.table_sql(fact), rows, DEFAULT.limits)
        return read_table(data).frame if count else pd.DataFrame(columns=[name for name, _ in fact.columns])

    def count(self, *, table: str | None = None, query: str | None = None) -> int:
        """How many rows a table has or a query returns, counted by the database."""
        sql = f"SELECT count(*) FROM (\n{self._source(table, query)}\n) AS q"
        return self._run(lambda cursor: scalar(cursor, sql))

    def read(
        self,
        *,
        table: str | None = None,
        query: str | None = None,
        row_limit: int = 100_000,
        limits: Limits = DEFAULT.limits,
    ) -> RawTable:
        """At most `row_limit` rows of a table or query, read as the same rows in a CSV file would be."""
        data, rows, more = self._csv(self._source(table, query), row_limit, limits)
        if not rows:
            raise DatabaseError(
                f"The {'table' if table else 'query'} returned no rows.",
                "Pick a table that has rows, or loosen the query's filter (WHERE …).",
            )
        raw = read_table(data, limits=limits)
        if more:
            raw.notes.append(
                f"The {'table' if table else 'query'} has more than {row_limit:,} rows: only the first "
                f"{row_limit:,} were read (raise the row limit, or filter or sample in the query)."
            )
        return raw

    def export_parquet(
        self, path: Path, *, table: str | None = None, query: str | None = None, batch_rows: int = 100_000
    ) -> int:
        """Every row (no row limit) into a Parquet file, with bounded memory; returns the rows written.

        The rows are spooled as CSV text beside `path` and converted by DuckDB, which reads the whole
        file to type each column. The time limit still bounds the statement that reads them.
        """
        sql = self._source(table, query)
        with tempfile.NamedTemporaryFile(suffix=".csv", dir=Path(path).parent) as spool:
            sink = CsvSink(spool)
            self._run(lambda cursor: self._backend.write_csv(cursor, sql, sink, batch_rows))
            spool.flush()
            _csv_to_parquet(Path(spool.name), Path(path), batch_rows)
        return sink.rows

    # ---------- inside ----------

    @cached_property
    def _catalog(self) -> list[TableFact]:
        """Tables and views with their columns, read once (one query) and kept to check names against."""
        rows = self._run(lambda cursor: _fetched(cursor, self._backend.catalog_sql))
        dialect = self.spec.dialect
        facts = []
        for (schema, name), group in groupby(rows, key=lambda row: (row[0], row[1])):
            columns = list(group)
            estimate = columns[0][4] if len(columns[0]) > 4 else None
            typed = tuple((column[2], str(column[3])) for column in columns)
            facts.append(TableFact(schema, name, estimate, typed, dialect, estimated=estimate is not None))
        return facts

    def _counted(self, fact: TableFact) -> TableFact:
        """The fact with its exact row count, or as it was (an estimate or None) when counting is slow."""
        sql = f"SELECT count(*) FROM {fact.qualified}"
        try:
            rows = self._run(lambda cursor: scalar(cursor, sql), min(self.timeout_s, COUNT_SECONDS))
        except QueryTimeoutError:
            return fact
        return replace(fact, rows=rows, estimated=False)

    def _fact(self, table: str) -> TableFact:
        """The readable table a user or a page named (`schema.table`, `table`, or as `qualified` gives it)."""
        found = [f for f in self._catalog if table in (f.qualified, f"{f.schema}.{f.name}", f.name)]
        if len(found) == 1:
            return found[0]
        if found:
            raise DatabaseError(
                f"Several schemas have a table named {table}: {', '.join(f.qualified for f in found)}.",
                "Name the table with its schema (schema.table).",
            )
        shown = ", ".join(f.qualified for f in self._catalog[:10]) or "none"
        raise DatabaseError(
            f"There is no table or view named {table} that this user can read.",
            f"Pick one of the database's tables ({shown}{' …' if len(self._catalog) > 10 else ''}).",
        )

    def _source(self, table: str | None, query: str | None) -> str:
        """The SQL that reads a known table, or the checked query; exactly one of them must be given."""
        if (table is None) == (query is None):
            raise ValueError("give either a table or a query")
        return self._backend.table_sql(self._fact(table)) if table is not None else check_select(query)

    def _csv(self, sql: str, row_limit: int, limits: Limits) -> tuple[bytes, int, bool]:
        """CSV text of at most `row_limit` rows; the database stops one row later, so more are known of."""
        limited = f"SELECT * FROM (\n{sql}\n) AS q LIMIT {int(row_limit) + 1}"
        sink = CsvSink(io.BytesIO(), row_limit, limits, CHECK_BYTES)
        self._run(lambda cursor: self._backend.write_csv(cursor, limited, sink, BATCH_ROWS))
        return sink.out.getvalue(), sink.rows, sink.more

    def _run(self, work: Callable[[Any], T], seconds: float | None = None) -> T:
        """Do `work` with a cursor whose statements stop after `seconds`; driver failures explained."""
        seconds = seconds or self.timeout_s
        try:
            with self._backend.bounded(seconds) as cursor:
                return work(cursor)
        except self._backend.driver_errors() as exc:
            raise self._explain(exc, self._backend.kind(exc), seconds) from None

    def _explain(self, exc: Exception, kind: str, seconds: float) -> DatabaseError:
        """A driver's exception, of a `kind` in `_FAILURES`, as a plain error without the password."""
        reason = _scrub(_first_line(exc), self._password)
        url = _url(self.spec.url)
        where = (
            url.database
            if self.spec.dialect in FILE_DIALECTS
            else f"{url.host or 'localhost'}{f':{url.port}' if url.port else ''}"
        )
        message, hint = _FAILURES[kind]
        error = {"timeout": QueryTimeoutError, "read_only": QueryRefusedError}.get(kind, DatabaseError)
        values = {"seconds": f"{seconds:g}", "reason": reason, "where": where, "database": url.database}
        return error(message.format(**values), hint.format(**values))


_FAILURES = {
    "timeout": (
        "The query took longer than {seconds} s and was stopped.",
        "Add a row limit or a filter (WHERE …) to the query, or raise the time limit.",
    ),
    "read_only": (
        "The database refused to change anything: it is only read here ({reason}).",
        "Write a query that only reads rows (SELECT …).",
    ),
    "login": (
        "The database server refused the login: the user name or the password is wrong.",
        "Check the user name in the URL and type the password again.",
    ),
    "unreachable": (
        "The database server at {where} could not be reached ({reason}).",
        "Check the host name and the port, and that the server is running and accepts connections from here.",
    ),
    "no_database": (
        "The server has no database named {database}.",
        "Check the database name at the end of the URL.",
    ),
    "no_file": (
        "The database file {where} could not be opened ({reason}).",
        "Check that the file exists and is a SQLite or DuckDB database.",
    ),
    "denied": (
        "This database user may not read that ({reason}).",
        "Ask the database's administrator to grant the user SELECT on it.",
    ),
    "refused": (
        "The database refused the query: {reason}",
        "Check the table and column names and the SQL against the database's own dialect.",
    ),
}


def _first_line(exc: Exception) -> str:
    """The driver's reason in one line (libpq's `connection to server at …, port … failed:` left out)."""
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    return re.sub(r"^connection failed: .*failed: ", "", lines[0]) if lines else type(exc).__name__


def _scrub(text: str, password: str | None) -> str:
    """The text without the password, even inside a URL a driver quoted back."""
    text = re.sub(r"(://[^:/@\s]*):[^@\s]*@", r"\1:***@", text)
    for form in {password, quote(password or "", safe="")} - {None, ""}:
        text = text.replace(form, "***")
    return text


def _csv_to_parquet(source: Path, target: Path, row_group: int) -> None:
    """DuckDB converts in a stream, typing each column from all of its values (`sample_size = -1`)."""
    read = f"read_csv({_literal(str(source))}, header = true, delim = ',', quote = '\"', sample_size = -1)"
    try:
        with duckdb.connect() as converter:
            converter.execute("SET enable_progress_bar = false")
            converter.execute(
                f"COPY (SELECT * FROM {read}) TO {_literal(str(target))} "
                f"(FORMAT parquet, ROW_GROUP_SIZE {int(row_group)})"
            )
    except duckdb.Error as exc:
        raise DatabaseError(
            f"The rows were read but could not be written to {target.name}: {_first_line(exc)}",
            "Check that there is room on the disk, then try again.",
        ) from None


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _fetched(cursor: Any, sql: str) -> list[tuple]:
    cursor.execute(sql)
    return cursor.fetchall()
