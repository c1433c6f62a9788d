"""The per-database driver layer under `databases.Database`: one class per kind of database.

Each class knows three things about its database, and nothing about URLs, passwords or messages:

- how it opens read-only with a time limit: PostgreSQL transactions begun READ ONLY with their own
  `statement_timeout`, a READ ONLY MySQL/MariaDB session with `max_execution_time` (MariaDB:
  `max_statement_time`), SQLite and DuckDB files opened read-only and interrupted by a timer;
- how it streams rows as CSV text into a `CsvSink`: PostgreSQL with `COPY … TO STDOUT`, DuckDB through
  Arrow's CSV writer, SQLite and MySQL with Python's csv module as rows are fetched;
- how its errors are classified: `kind` names the failure (timeout, read_only, login, unreachable,
  no_database, no_file, denied, refused) that `databases` turns into a plain message without the password.

Kept apart from `databases` so that adding or changing a driver touches one class here, and the rules
every source follows (URLs, passwords, row limits, messages) stay in one place there.
"""

from __future__ import annotations

import csv
import io
import re
import sqlite3
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from math import ceil
from typing import IO, Any, ClassVar
from urllib.parse import quote

import duckdb
import psycopg
import pyarrow as pa
import pyarrow.csv as pacsv
from sqlalchemy.engine import URL

from mlcore.data.sql_text import qualified_name, quoted
from mlcore.errors import DatabaseError
from mlcore.settings import Limits


@dataclass(frozen=True)
class TableFact:
    """A table or view as browsed: its columns with their types, and how many rows it has.

    `rows` is the exact count, or PostgreSQL's planner estimate (`estimated`) when counting took longer
    than `databases.COUNT_SECONDS`, or None when neither is known.
    """

    schema: str | None  # None where the database has a single unnamed schema (SQLite)
    name: str
    rows: int | None
    columns: tuple[tuple[str, str], ...]  # (column, the database's type name)
    dialect: str = "postgresql"
    estimated: bool = False

    @property
    def qualified(self) -> str:
        """`schema.name`, quoted where the dialect needs it, for SQL and for the user to pick."""
        return qualified_name(self.dialect, self.schema, self.name)


# ---------- CSV text with a row limit and the memory limits ----------


class CsvSink:
    """Where CSV text goes: counts rows, keeps at most `max_rows` of them, and stays within the limits."""

    def __init__(
        self,
        out: IO[bytes],
        max_rows: int | None = None,
        limits: Limits | None = None,
        check_bytes: int = 0,
    ) -> None:
        """`limits` are checked each time `check_bytes` more bytes have been written (0: at every write)."""
        self.out = out
        self.max_rows = max_rows
        self.limits = limits
        self.rows = 0
        self.more = False  # rows past `max_rows` were left out
        self._columns = 1
        self._check_bytes = check_bytes
        self._next_check = check_bytes

    def header(self, line: bytes) -> None:
        self._columns = len(next(csv.reader([line.decode("utf-8", "replace")]), [])) or 1
        self.out.write(line)

    def take(self, offered: int) -> int:
        """How many of the next `offered` rows to write (the rest are past the row limit)."""
        room = offered if self.max_rows is None else max(0, min(offered, self.max_rows - self.rows))
        self.more |= room < offered
        return room

    def write(self, data: bytes | memoryview, rows: int) -> None:
        self.out.write(data)
        self.rows += rows
        if self.limits is not None and self.out.tell() >= self._next_check:
            self.limits.check_memory(self.out.tell())
            self.limits.check_table(self.rows, self._columns, at_least=True)
            self._next_check += self._check_bytes


# ---------- one kind of database each ----------


class Backend:
    """One open connection to one kind of database: how it is bounded, listed and read as CSV text."""

    catalog_sql: ClassVar[str]  # rows of (schema, table, column, type[, estimated rows]), in order
    errors: ClassVar[tuple[type[Exception], ...]] = ()

    def __init__(self, connection: Any) -> None:
        self.connection = connection

    @classmethod
    def open(cls, url: URL, password: str | None, timeout_s: float) -> Backend:
        raise NotImplementedError

    @classmethod
    def driver_errors(cls) -> tuple[type[Exception], ...]:
        """The driver's exceptions, which `kind` sorts into kinds of failure."""
        return cls.errors

    @classmethod
    def kind(cls, exc: Exception) -> str:
        """Which kind of failure the driver's exception is: a key of `databases._FAILURES`."""
        raise NotImplementedError

    @contextmanager
    def bounded(self, seconds: float) -> Iterator[Any]:
        """A cursor whose statements are interrupted after `seconds` (SQLite: by a timer)."""
        with _interrupted_after(seconds, self.connection):
            cursor = self.connection.cursor()
            try:
                yield cursor
            finally:
                cursor.close()

    def table_sql(self, fact: TableFact) -> str:
        return f"SELECT * FROM {fact.qualified}"

    def write_csv(self, cursor: Any, sql: str, sink: CsvSink, batch_rows: int) -> None:
        """Fetch the rows in batches and write them as CSV text (Python's str of each value)."""
        cursor.execute(sql)
        text = io.StringIO()
        writer = csv.writer(text, lineterminator="\n")
        writer.writerow([column[0] for column in cursor.description])
        sink.header(text.getvalue().encode())
        while batch := cursor.fetchmany(batch_rows):
            text.seek(0)
            text.truncate()
            kept = sink.take(len(batch))
            writer.writerows(batch[:kept])
            sink.write(text.getvalue().encode(), kept)

    def close(self) -> None:
        self.connection.close()


class Postgres(Backend):
    """psycopg 3: every transaction READ ONLY with its own statement_timeout; rows as COPY CSV."""

    catalog_sql = """
        SELECT n.nspname, c.relname, a.attname, format_type(a.atttypid, a.atttypmod),
               CASE WHEN c.relkind IN ('r', 'm', 'p', 'f') AND c.reltuples >= 0 THEN c.reltuples::bigint END
        FROM pg_class AS c
        JOIN pg_namespace AS n ON n.oid = c.relnamespace
        JOIN pg_attribute AS a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
        WHERE c.relkind IN ('r', 'v', 'm', 'p', 'f') AND NOT c.relispartition
          AND n.nspname <> 'information_schema' AND n.nspname NOT LIKE 'pg\\_%'
          AND has_table_privilege(c.oid, 'SELECT')
        ORDER BY n.nspname, c.relname, a.attnum
    """
    errors = (psycopg.Error,)
    BOOLEAN_OID = 16
    KINDS: ClassVar[dict[str, str]] = {
        "57014": "timeout",
        "25006": "read_only",
        "28P01": "login",
        "28000": "login",
        "3D000": "no_database",
        "42501": "denied",
    }

    @classmethod
    def open(cls, url: URL, password: str | None, timeout_s: float) -> Backend:
        params = {key: str(value) for key, value in url.query.items()}  # sslmode and the like
        ours = f"-c default_transaction_read_only=on -c statement_timeout={_ms(timeout_s)} -c DateStyle=ISO"
        params["options"] = f"{params.get('options', '')} {ours}".strip()  # ours last, so they hold
        connection = psycopg.connect(
            **params,
            host=url.host,
            port=url.port,
            user=url.username,
            password=password,
            dbname=url.database,
            connect_timeout=max(2, ceil(timeout_s)),
            client_encoding="UTF8",  # the CSV text, whatever the database's own encoding
            autocommit=True,
        )
        connection.read_only = True  # psycopg begins each transaction READ ONLY
        return cls(connection)

    @classmethod
    def kind(cls, exc: Exception) -> str:
        state = getattr(exc, "sqlstate", None)
        if state in cls.KINDS:
            return cls.KINDS[state]
        text = str(exc)
        if "password authentication failed" in text or "no password supplied" in text:
            return "login"
        if re.search(r'database "[^"]*" does not exist', text):
            return "no_database"
        return "unreachable" if isinstance(exc, psycopg.OperationalError) and state is None else "refused"

    @contextmanager
    def bounded(self, seconds: float) -> Iterator[Any]:
        with self.connection.transaction(), self.connection.cursor() as cursor:
            cursor.execute(f"SET LOCAL statement_timeout = {_ms(seconds)}")
            yield cursor

    def write_csv(self, cursor: Any, sql: str, sink: CsvSink, batch_rows: int) -> None:
        """COPY the rows out as CSV; libpq hands COPY data over one row at a time, the header first."""
        cursor.execute(f"SELECT * FROM (\n{sql}\n) AS q LIMIT 0")  # the columns and their types
        booleans = [(column.name, column.type_code == self.BOOLEAN_OID) for column in cursor.description]
        words = _recast(sql, booleans, lambda name: f"{name}::text")  # COPY writes t/f, read as text
        with cursor.copy(f"COPY ({words}) TO STDOUT (FORMAT csv, HEADER)") as copy:
            rows = iter(copy)
            sink.header(bytes(next(rows)))
            for row in rows:
                if sink.take(1):
                    sink.write(row, 1)


class Sqlite(Backend):
    """sqlite3, the file opened read-only (`mode=ro`); BOOLEAN columns, stored as 0/1, read as booleans."""

    catalog_sql = """
        SELECT NULL, m.name, p.name, p.type
        FROM sqlite_master AS m JOIN pragma_table_info(m.name) AS p
        WHERE m.type IN ('table', 'view') AND m.name NOT LIKE 'sqlite\\_%' ESCAPE '\\'
        ORDER BY m.name, p.cid
    """
    errors = (sqlite3.Error,)

    @classmethod
    def open(cls, url: URL, password: str | None, timeout_s: float) -> Backend:
        """The file the URL names (`databases` has refused a URL that names none), opened read-only."""
        return cls(sqlite3.connect(f"file:{quote(url.database)}?mode=ro", uri=True, check_same_thread=False))

    @classmethod
    def kind(cls, exc: Exception) -> str:
        text = str(exc).lower()
        for words, kind in (
            ("interrupted", "timeout"),
            ("readonly", "read_only"),
            ("unable to open", "no_file"),
            ("not a database", "no_file"),
        ):
            if words in text:
                return kind
        return "refused"

    def table_sql(self, fact: TableFact) -> str:
        """SQLite has no boolean type: a column declared BOOLEAN holds 0 and 1, read here as booleans."""
        booleans = [
            (name, kind.upper().split("(")[0].strip() in ("BOOLEAN", "BOOL")) for name, kind in fact.columns
        ]
        return _recast(
            super().table_sql(fact),
            booleans,
            lambda name: f"CASE {name} WHEN 1 THEN 'True' WHEN 0 THEN 'False' ELSE {name} END",
        )


class DuckDB(Backend):
    """The duckdb module, the file opened read-only with no access to other files."""

    catalog_sql = """
        SELECT table_schema, table_name, column_name, data_type FROM information_schema.columns
        WHERE table_catalog = current_database()
        ORDER BY table_schema, table_name, ordinal_position
    """
    errors = (duckdb.Error, pa.ArrowException)
    NATIVE = re.compile(r"BOOLEAN|U?(TINY|SMALL|BIG|HUGE)?INT(EGER)?|FLOAT|DOUBLE|DECIMAL\(.*\)|VARCHAR|DATE")

    @classmethod
    def open(cls, url: URL, password: str | None, timeout_s: float) -> Backend:
        """Read-only, and a query may not read or write other files, load extensions or change that."""
        connection = duckdb.connect(url.database, read_only=True, config={"enable_external_access": False})
        connection.execute("SET enable_progress_bar = false")  # it would print to the server's terminal
        connection.execute("SET lock_configuration = true")
        return cls(connection)

    @classmethod
    def kind(cls, exc: Exception) -> str:
        if isinstance(exc, duckdb.InterruptException):
            return "timeout"
        if isinstance(exc, duckdb.PermissionException):
            return "denied"
        if isinstance(exc, duckdb.IOException):
            return "no_file"
        return "read_only" if "read-only mode" in str(exc) else "refused"

    @contextmanager
    def bounded(self, seconds: float) -> Iterator[Any]:
        """The connection itself: a DuckDB cursor is another connection, which `interrupt` would miss."""
        with _interrupted_after(seconds, self.connection):
            yield self.connection

    def write_csv(self, cursor: Any, sql: str, sink: CsvSink, batch_rows: int) -> None:
        """Arrow batches written by Arrow's CSV writer: six times faster than fetching Python values.

        Numbers, booleans, text and dates are written by Arrow; every other type as DuckDB's own text
        (timestamps without trailing zeros, as a CSV export has them; lists, structs, intervals).
        """
        relation = cursor.sql(sql)  # not run yet: only its columns and their types are known
        others = [
            (name, not self.NATIVE.fullmatch(str(kind)))
            for name, kind in zip(relation.columns, relation.types, strict=True)
        ]
        reader = cursor.sql(_recast(sql, others, lambda name: f"CAST({name} AS VARCHAR)")).to_arrow_reader(
            batch_rows
        )
        sink.header(_arrow_csv(reader.schema.empty_table(), header=True))
        for batch in reader:
            kept = sink.take(batch.num_rows)
            sink.write(_arrow_csv(batch.slice(0, kept), header=False), kept)


class MySQL(Backend):
    """PyMySQL (MySQL and MariaDB): a READ ONLY session; rows streamed by an unbuffered cursor.

    Untested here (no server): written from the MySQL 8 and MariaDB 10.1+ manuals.
    """

    catalog_sql = """
        SELECT table_schema, table_name, column_name, column_type FROM information_schema.columns
        WHERE table_schema NOT IN ('mysql', 'information_schema', 'performance_schema', 'sys')
        ORDER BY table_schema, table_name, ordinal_position
    """
    KINDS: ClassVar[dict[int, str]] = {
        3024: "timeout",  # MySQL: maximum statement execution time exceeded
        1969: "timeout",  # MariaDB: max_statement_time exceeded
        1792: "read_only",
        1045: "login",
        1049: "no_database",
        1044: "denied",
        1142: "denied",
        1143: "denied",
        2003: "unreachable",
        2005: "unreachable",
        2013: "unreachable",
    }

    def __init__(self, connection: Any, mariadb: bool) -> None:
        super().__init__(connection)
        self.mariadb = mariadb

    @classmethod
    def open(cls, url: URL, password: str | None, timeout_s: float) -> Backend:
        try:
            import pymysql
        except ImportError:
            raise DatabaseError(
                "MySQL and MariaDB need the PyMySQL driver, which is not installed.",
                "Install it (pip install PyMySQL) and start the app again.",
            ) from None
        connection = pymysql.connect(
            host=url.host or "localhost",
            port=url.port or 3306,
            user=url.username,
            password=password or "",
            database=url.database,
            connect_timeout=max(2, ceil(timeout_s)),
            cursorclass=pymysql.cursors.SSCursor,
        )
        with connection.cursor() as cursor:
            cursor.execute("SET SESSION TRANSACTION READ ONLY")
            version = scalar(cursor, "SELECT VERSION()")
        return cls(connection, "mariadb" in str(version).lower())

    @classmethod
    def driver_errors(cls) -> tuple[type[Exception], ...]:
        try:
            import pymysql
        except ImportError:
            return ()
        return (pymysql.err.Error,)

    @classmethod
    def kind(cls, exc: Exception) -> str:
        code = exc.args[0] if exc.args and isinstance(exc.args[0], int) else None
        return cls.KINDS.get(code, "refused")

    @contextmanager
    def bounded(self, seconds: float) -> Iterator[Any]:
        limit = (
            f"max_statement_time = {seconds:g}" if self.mariadb else f"max_execution_time = {_ms(seconds)}"
        )
        try:
            with self.connection.cursor() as cursor:
                cursor.execute(f"SET SESSION {limit}")
                yield cursor
        finally:
            self.connection.rollback()  # end the read-only transaction


BACKENDS: dict[str, type[Backend]] = {
    "postgresql": Postgres,
    "mysql": MySQL,
    "mariadb": MySQL,
    "sqlite": Sqlite,
    "duckdb": DuckDB,
}


# ---------- helpers ----------


@contextmanager
def _interrupted_after(seconds: float, connection: Any) -> Iterator[None]:
    """Call the connection's `interrupt()` from a timer if the block is still running after `seconds`."""
    timer = threading.Timer(seconds, connection.interrupt)
    timer.start()
    try:
        yield
    finally:
        timer.cancel()


def _ms(seconds: float) -> int:
    return max(1, round(seconds * 1000))


def _recast(sql: str, columns: list[tuple[str, bool]], expression: Callable[[str], str]) -> str:
    """`sql` with each column marked True read through `expression` (given its quoted name).

    Columns are named in the outer SELECT, so a query whose columns share a name is left as it is.
    """
    names = [name for name, _ in columns]
    if not any(marked for _, marked in columns) or len(set(names)) < len(names):
        return sql
    items = ", ".join(
        f"{expression(quoted(n))} AS {quoted(n)}" if marked else quoted(n) for n, marked in columns
    )
    return f"SELECT {items} FROM (\n{sql}\n) AS q"


def _arrow_csv(data: pa.Table | pa.RecordBatch, header: bool) -> bytes:
    out = io.BytesIO()
    pacsv.write_csv(data, out, pacsv.WriteOptions(include_header=header))
    return out.getvalue()


def scalar(cursor: Any, sql: str) -> Any:
    cursor.execute(sql)
    return cursor.fetchone()[0]
