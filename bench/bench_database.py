"""Reading a 1,000,000-row table from a database (issue 18): `Database.read` against `pandas.read_sql`.

The table (ints, floats, text, dates, booleans) is generated once and loaded into a PostgreSQL server
started for the run (tests/postgres_server.py, imported as the tests' support module), and into SQLite
and DuckDB files. Each reader runs the same `SELECT * FROM sales` in fresh processes, taken in turns,
best of three; the connection is opened before the timed work in both. Peak memory is the growth of the
process's maximum RSS during the work (it counts Arrow, NumPy and the driver alike).

Target: PostgreSQL read at most 1.2× the time of `pandas.read_sql` through SQLAlchemy and psycopg. The
file databases show what reading through CSV text (for the same types as a CSV file) costs against their
own fastest fetch into pandas.
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import tempfile
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

from bench.common import ROOT, markdown_table, measure_interleaved, write_section
from tests.postgres_server import READER, READER_PASSWORD, PostgresServer, running_server

ROWS = 1_000_000
ROUNDS = 3
QUERY = "SELECT * FROM sales"
COLUMNS = (
    "id bigint, qty integer, price double precision, ratio double precision, city text, code text, day date, "
    "flag boolean"
)
OURS = """
from mlcore.data.databases import Database, parse_url
spec, password = parse_url({url!r})
db = Database(spec, password, timeout_s=600)
def work():
    global raw
    raw = db.read(query={query!r}, row_limit=2_000_000)
    assert len(raw.frame) == {rows}
"""
PANDAS_POSTGRES = """
import pandas as pd, sqlalchemy
connection = sqlalchemy.create_engine({url!r}.replace("postgresql://", "postgresql+psycopg://")).connect()
def work():
    global frame
    frame = pd.read_sql({query!r}, connection)
"""
PANDAS_SQLITE = """
import pandas as pd, sqlite3
connection = sqlite3.connect({path!r})
def work():
    global frame
    frame = pd.read_sql({query!r}, connection)
"""
DUCKDB_DF = """
import duckdb
connection = duckdb.connect({path!r}, read_only=True)
def work():
    global frame
    frame = connection.execute({query!r}).df()
"""


def sales() -> pd.DataFrame:
    """The benchmark table: a fixed random mix of the column types databases hold."""
    rng = np.random.default_rng(18)
    return pd.DataFrame(
        {
            "id": np.arange(ROWS),
            "qty": rng.integers(1, 100, ROWS),
            "price": rng.normal(50, 15, ROWS).round(2),
            "ratio": rng.random(ROWS),
            "city": rng.choice(["Lyon", "Oslo", "Porto", "Quito", "Kyoto", "Accra"], ROWS),
            "code": pd.Series(rng.integers(0, 10**7, ROWS)).map("C{:07d}".format),
            "day": pd.Timestamp("2020-01-01") + pd.to_timedelta(rng.integers(0, 1500, ROWS), unit="D"),
            "flag": rng.random(ROWS) < 0.3,
        }
    )


def load(port: int, folder: str) -> None:
    """The same table into the running PostgreSQL server and into SQLite and DuckDB files in `folder`."""
    frame = sales()
    load_postgres(PostgresServer(port), frame)
    load_files(Path(folder), frame)


def load_postgres(server: PostgresServer, frame: pd.DataFrame) -> None:
    """COPY the table in from CSV text, then let the reader see it."""
    text = frame.to_csv(index=False, date_format="%Y-%m-%d").encode()
    with server.admin() as admin:
        admin.execute(f"CREATE TABLE sales ({COLUMNS})")
        with admin.cursor().copy("COPY sales FROM STDIN (FORMAT csv, HEADER)") as copy:
            for start in range(0, len(text), 1 << 20):
                copy.write(text[start : start + (1 << 20)])
        admin.execute(f"ANALYZE sales; GRANT SELECT ON sales TO {READER}")


def load_files(folder: Path, frame: pd.DataFrame) -> None:
    sqlite_path, duckdb_path = folder / "sales.db", folder / "sales.duckdb"
    rows = frame.assign(day=frame["day"].dt.strftime("%Y-%m-%d"), flag=frame["flag"].astype(int))
    with sqlite3.connect(sqlite_path) as connection:
        connection.execute(f"CREATE TABLE sales ({COLUMNS.replace('double precision', 'real')})")
        connection.executemany(
            f"INSERT INTO sales VALUES ({', '.join('?' * 8)})", rows.itertuples(index=False)
        )
    connection.close()
    with duckdb.connect(str(duckdb_path)) as connection:
        connection.execute("CREATE TABLE sales AS SELECT * REPLACE (day::DATE AS day) FROM frame")


def main() -> None:
    with running_server() as server, tempfile.TemporaryDirectory() as folder:
        # The rows are made in a process of their own: a child process starts with its parent's peak RSS,
        # which would hide the readers' own peaks if this process had held the table.
        loader = f"from bench.bench_database import load; load({server.port}, {folder!r})"
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        subprocess.run([sys.executable, "-c", loader], cwd=ROOT, env=env, check=True)
        sqlite_path, duckdb_path = Path(folder) / "sales.db", Path(folder) / "sales.duckdb"
        url = server.url(password=READER_PASSWORD)
        cases = {
            "PostgreSQL: pandas.read_sql (SQLAlchemy + psycopg)": PANDAS_POSTGRES.format(
                url=url, query=QUERY
            ),
            "PostgreSQL: Database.read": OURS.format(url=url, query=QUERY, rows=ROWS),
            "SQLite: pandas.read_sql (sqlite3)": PANDAS_SQLITE.format(path=str(sqlite_path), query=QUERY),
            "SQLite: Database.read": OURS.format(url=f"sqlite:///{sqlite_path}", query=QUERY, rows=ROWS),
            "DuckDB: its own .df()": DUCKDB_DF.format(path=str(duckdb_path), query=QUERY),
            "DuckDB: Database.read": OURS.format(url=f"duckdb:///{duckdb_path}", query=QUERY, rows=ROWS),
        }
        results = measure_interleaved(cases, repeat=ROUNDS)
    write_section("database", "Reading a 1M-row table from a database (issue 18)", _report(results))


def _report(results: dict[str, dict]) -> str:
    """Each reader beside its reference (the case before it), and the verdict on the PostgreSQL target."""
    names = list(results)
    rows, ratios = [], {}
    for reference, ours in zip(names[::2], names[1::2], strict=True):
        base, mine = results[reference], results[ours]
        ratios[ours] = (mine["seconds"] / base["seconds"], _ratio(mine["peak_mib"], base["peak_mib"]))
        rows.append([reference, f"{base['seconds']:.2f}", "1.00× (reference)", f"{base['peak_mib']:.0f}", ""])
        rows.append(
            [
                ours,
                f"{mine['seconds']:.2f}",
                f"{ratios[ours][0]:.2f}×",
                f"{mine['peak_mib']:.0f}",
                ratios[ours][1],
            ]
        )
    time_ratio, memory_ratio = ratios["PostgreSQL: Database.read"]
    return (
        f"`{QUERY}` on {ROWS:,} rows × 8 columns (bigint, integer, 2 × double, 2 × text, date, boolean), "
        f"`row_limit=2_000_000`. Best of {ROUNDS} fresh processes per reader, taken in turns; peak memory "
        "is the growth of the process's maximum RSS during the read (0: no higher than the peak of its "
        "start, imports and connection). The PostgreSQL server runs on the same machine: its time to "
        "produce the rows counts for both readers.\n\n"
        + markdown_table(["reader", "seconds", "time ratio", "peak MiB", "memory ratio"], rows)
        + f"\n\nTarget: PostgreSQL read at most 1.2× `pandas.read_sql`. Measured: {time_ratio:.2f}× time, "
        f"{memory_ratio} peak memory. `Database.read` gives the rows typed as the same table saved as CSV "
        "(dates as datetime64, booleans as bool), where `pandas.read_sql` leaves PostgreSQL dates as Python "
        "objects and SQLite's as text."
    )


def _ratio(mine: float, base: float) -> str:
    return f"{mine / base:.2f}×" if base > 0 else "—"


if __name__ == "__main__":
    main()
