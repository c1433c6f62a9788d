"""Database sources against a real PostgreSQL server (the `postgres_server` fixture), SQLite and DuckDB files.

The same small table lives in each database and in a CSV file: what the database gives back is checked
against the frame it was made from, against pandas on the same rows, and against the CSV file read as an
upload is read (same column types, same values).
"""

from __future__ import annotations

import sqlite3
import time
import traceback
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import psycopg
import pytest
from postgres_server import READER, READER_PASSWORD, PostgresServer

from mlcore.data import database_backends, databases
from mlcore.data.databases import (
    SUPPORTED,
    Database,
    DatabaseSpec,
    QueryTimeoutError,
    TableFact,
    check_select,
    file_url,
    parse_url,
    password_for,
)
from mlcore.data.loading import finish_dataset, load_bytes
from mlcore.data.readers import ReadOptions, read_table
from mlcore.errors import DatabaseError, LimitExceededError, QueryRefusedError
from mlcore.settings import DEFAULT, Limits

N = 40
FRAME = pd.DataFrame(
    {
        "id": np.arange(1, N + 1),
        "height": 150.5 + 0.25 * np.arange(N),
        "name": [f"person {i}" for i in range(N - 2)] + ['Ann "Jr", the 2nd', "Zoë 北京"],
        "born": pd.to_datetime([date(1990, 1, 1) + timedelta(days=97 * i) for i in range(N)]),
        "member": [i % 3 == 0 for i in range(N)],
        "visits": [float(i % 5) if i % 4 else np.nan for i in range(N)],  # an integer column with NULLs
    }
)
COLUMNS = {
    "postgresql": ("integer", "double precision", "text", "date", "boolean", "integer"),
    "sqlite": ("INTEGER", "REAL", "TEXT", "DATE", "BOOLEAN", "INTEGER"),
    "duckdb": ("INTEGER", "DOUBLE", "VARCHAR", "DATE", "BOOLEAN", "INTEGER"),
}
PEOPLE = "CREATE TABLE people (id {}, height {}, name {}, born {}, member {}, visits {})"
CSV = FRAME.to_csv(index=False).encode()
BIG = 100_000  # rows of a table whose exact count takes longer than a millisecond


def _rows() -> list[tuple]:
    """FRAME as database values: None for missing, dates as dates, numbers as Python numbers."""
    return [
        (
            int(r.id),
            float(r.height),
            r.name,
            r.born.date(),
            bool(r.member),
            None if np.isnan(r.visits) else int(r.visits),
        )
        for r in FRAME.itertuples()
    ]


@pytest.fixture(scope="module")
def server(postgres_server: PostgresServer) -> Iterator[PostgresServer]:
    """The shop: people, a view, a table in another schema, one not granted, a function that writes."""
    server = postgres_server.new_database("unit_shop")
    with server.admin() as admin:
        admin.execute(PEOPLE.format(*COLUMNS["postgresql"]))
        with admin.cursor().copy("COPY people FROM STDIN") as copy:
            for row in _rows():
                copy.write_row(row)
        admin.execute("CREATE VIEW members AS SELECT id, name FROM people WHERE member")
        admin.execute('CREATE SCHEMA sales; CREATE TABLE sales."Order Lines" (line int, people_id int)')
        admin.execute('INSERT INTO sales."Order Lines" VALUES (1, 3), (2, 3), (3, 9)')
        admin.execute(f"CREATE TABLE big AS SELECT g AS n FROM generate_series(1, {BIG}) AS g; ANALYZE big")
        admin.execute("CREATE TABLE secret (code text); INSERT INTO secret VALUES ('x')")
        admin.execute("CREATE SEQUENCE ticket")
        admin.execute(
            "CREATE FUNCTION add_person() RETURNS int LANGUAGE sql AS "
            "$$ INSERT INTO people (id) VALUES (999) RETURNING id $$"
        )
        admin.execute(f"GRANT USAGE ON SCHEMA sales TO {READER}")
        admin.execute(f'GRANT SELECT ON people, members, big, sales."Order Lines" TO {READER}')
        admin.execute(f"GRANT USAGE ON SEQUENCE ticket TO {READER}")
    yield server
    server.drop_database()


@pytest.fixture(scope="module")
def postgres(server: PostgresServer) -> Iterator[Database]:
    spec, password = parse_url(server.url(password=READER_PASSWORD))
    with Database(spec, password) as db:
        yield db


@pytest.fixture(scope="module")
def sqlite_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("sqlite") / "shop.db"
    with sqlite3.connect(path) as connection:
        connection.execute(PEOPLE.format(*COLUMNS["sqlite"]))
        rows = [(*r[:3], r[3].isoformat(), *r[4:]) for r in _rows()]
        connection.executemany("INSERT INTO people VALUES (?, ?, ?, ?, ?, ?)", rows)
        connection.execute("CREATE VIEW members AS SELECT id, name FROM people WHERE member")
    connection.close()
    return path


@pytest.fixture(scope="module")
def duckdb_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("duckdb") / "shop.duckdb"
    with duckdb.connect(str(path)) as connection:
        connection.execute(PEOPLE.format(*COLUMNS["duckdb"]))
        connection.executemany("INSERT INTO people VALUES (?, ?, ?, ?, ?, ?)", _rows())
        connection.execute("CREATE VIEW members AS SELECT id, name FROM people WHERE member")
    return path


@pytest.fixture(params=["postgresql", "sqlite", "duckdb"])
def shop(request: pytest.FixtureRequest) -> Database:
    """The people table in each kind of database."""
    if request.param == "postgresql":
        return request.getfixturevalue("postgres")
    path = request.getfixturevalue(f"{request.param}_file")
    spec, _ = parse_url(file_url(path))
    db = Database(spec)
    request.addfinalizer(db.close)
    return db


def _csv_frame() -> pd.DataFrame:
    return read_table(CSV).frame


# ---------- URLs and passwords ----------


@pytest.mark.parametrize(
    ("text", "url", "password", "variable"),
    [
        ("postgresql://ann:secret@host:5432/db", "postgresql://ann@host:5432/db", "secret", ""),
        ("postgres://ann@host/db", "postgresql://ann@host/db", None, ""),
        (
            "postgresql+psycopg2://ann:p%40ss@host/db?sslmode=require",
            "postgresql://ann@host/db?sslmode=require",
            "p@ss",
            "",
        ),
        ("postgresql://ann:${PGPASS}@host/db", "postgresql://ann@host/db", None, "PGPASS"),
        ("  mysql://bob:pw@db:3306/shop ", "mysql://bob@db:3306/shop", "pw", ""),
        ("sqlite:///data/shop.db", "sqlite:///data/shop.db", None, ""),
        ("duckdb:////tmp/shop.duckdb", "duckdb:////tmp/shop.duckdb", None, ""),
    ],
)
def test_parse_url_takes_the_password_out(text: str, url: str, password: str | None, variable: str) -> None:
    spec, found = parse_url(text)
    assert (spec.url, spec.password_env, found) == (url, variable, password)


@pytest.mark.parametrize("text", ["oracle://ann:topsecret@host/db", "not a url :topsecret", "http://host/x"])
def test_parse_url_refuses_what_it_cannot_open(text: str) -> None:
    with pytest.raises(DatabaseError) as caught:
        parse_url(text)
    assert "topsecret" not in str(caught.value)
    assert all(name in caught.value.hint for name in SUPPORTED)


def test_a_spec_never_holds_a_password() -> None:
    with pytest.raises(DatabaseError, match="must not hold a password") as caught:
        DatabaseSpec("postgresql://ann:topsecret@host/db")
    assert "topsecret" not in str(caught.value)


def test_password_comes_typed_then_from_the_environment_then_from_secrets(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    named, unnamed = (
        DatabaseSpec("postgresql://ann@host/db", "SHOP_PW"),
        DatabaseSpec("postgresql://ann@host/db"),
    )
    secrets = {"databases": {"SHOP_PW": "from-secrets", "host/db": "by-host"}}
    monkeypatch.setenv("SHOP_PW", "from-env")
    assert password_for(named, "typed", secrets) == "typed"
    assert password_for(named, "", secrets) == "from-env"
    monkeypatch.delenv("SHOP_PW")
    assert password_for(named, None, secrets) == "from-secrets"
    assert password_for(unnamed, None, secrets) == "by-host"
    assert password_for(unnamed) is None
    with pytest.raises(DatabaseError, match="SHOP_PW") as caught:
        password_for(named, None, {"databases": {"host/db": "by-host"}})
    assert "by-host" not in str(caught.value)


def test_file_url_recognises_sqlite_and_duckdb_files(
    sqlite_file: Path, duckdb_file: Path, tmp_path: Path
) -> None:
    assert file_url(sqlite_file) == f"sqlite:///{sqlite_file.resolve()}"
    assert file_url(duckdb_file) == f"duckdb:///{duckdb_file.resolve()}"
    (tmp_path / "shop.db").write_bytes(CSV)
    with pytest.raises(DatabaseError, match="not a SQLite or DuckDB database"):
        file_url(tmp_path / "shop.db")


# ---------- browsing ----------


def test_postgres_tables_are_what_was_made_and_granted(postgres: Database) -> None:
    facts = {fact.qualified: fact for fact in postgres.tables()}
    assert sorted(facts) == [
        "public.big",
        "public.members",
        "public.people",
        'sales."Order Lines"',
    ]  # not secret
    people = facts["public.people"]
    assert (people.schema, people.name, people.rows, people.estimated) == ("public", "people", N, False)
    assert people.columns == tuple(zip(FRAME.columns, COLUMNS["postgresql"], strict=True))
    assert facts["public.members"].rows == int(FRAME["member"].sum())
    assert facts['sales."Order Lines"'].rows == 3
    assert facts["public.big"].rows == BIG


@pytest.mark.parametrize("dialect", ["sqlite", "duckdb"])
def test_file_tables_are_what_was_made(dialect: str, request: pytest.FixtureRequest) -> None:
    spec, _ = parse_url(file_url(request.getfixturevalue(f"{dialect}_file")))
    with Database(spec) as db:
        facts = {fact.name: fact for fact in db.tables()}
    schema = None if dialect == "sqlite" else "main"
    columns = tuple(zip(FRAME.columns, COLUMNS[dialect], strict=True))
    assert facts["people"] == TableFact(schema, "people", N, columns, dialect)
    assert facts["members"].rows == int(FRAME["member"].sum())
    assert facts["members"].columns[0][0] == "id"


def test_a_slow_count_gives_the_planner_estimate_or_none(
    postgres: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(databases, "COUNT_SECONDS", 0.001)
    fresh = Database(postgres.spec, READER_PASSWORD)
    with fresh:
        facts = {fact.name: fact for fact in fresh.tables()}
    assert facts["big"].estimated and facts["big"].rows == pytest.approx(BIG, rel=0.1)  # ANALYZEd
    members = facts["members"]  # a view has no estimate: its count, or nothing
    assert members.rows in (None, int(FRAME["member"].sum())) and not members.estimated


# ---------- reading ----------


def test_preview_is_the_first_rows(shop: Database) -> None:
    pd.testing.assert_frame_equal(shop.preview("people", rows=5), _csv_frame().head(5))


def test_rows_and_types_are_those_of_the_same_table_as_a_csv_file(shop: Database) -> None:
    raw = shop.read(table="people")
    pd.testing.assert_frame_equal(raw.frame, _csv_frame())
    assert raw.notes == [] and raw.info == read_table(CSV).info
    expected = load_bytes(CSV, "people.csv")[0]
    loaded = finish_dataset(raw, ReadOptions(), "people", "database", "hash", DEFAULT.limits)
    assert [(c.name, c.ctype, c.dtype) for c in loaded.columns] == [
        (c.name, c.ctype, c.dtype) for c in expected.columns
    ]
    assert str(raw.frame["born"].dtype).startswith("datetime64") and raw.frame["member"].dtype == bool


def test_query_results_equal_pandas_on_the_same_rows(shop: Database) -> None:
    query = (
        "SELECT member, count(*) AS n, avg(height) AS mean_height, max(visits) AS most_visits "
        "FROM people WHERE id > 4 GROUP BY member ORDER BY member;"
    )
    got = shop.read(query=query).frame
    rows = FRAME[FRAME["id"] > 4].groupby("member")
    assert got["member"].tolist() == [False, True]
    assert got["n"].tolist() == rows.size().tolist()
    assert got["mean_height"].tolist() == pytest.approx(rows["height"].mean().tolist())
    assert got["most_visits"].tolist() == rows["visits"].max().tolist()
    assert shop.count(query=query) == 2
    assert shop.count(table="people") == N


def test_a_row_limit_stops_early_and_says_so(shop: Database) -> None:
    cut = shop.read(query="SELECT id, name FROM people ORDER BY id", row_limit=10)
    assert cut.frame["id"].tolist() == list(range(1, 11))
    assert cut.notes == [
        "The query has more than 10 rows: only the first 10 were read "
        "(raise the row limit, or filter or sample in the query)."
    ]
    assert shop.read(table="people", row_limit=N).notes == []


def test_reading_stays_within_the_memory_limit(shop: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(databases, "CHECK_BYTES", 100)  # checked while the rows arrive
    with pytest.raises(LimitExceededError, match="memory"):
        shop.read(table="people", limits=Limits(max_memory_bytes=500))


def test_export_parquet_holds_every_row(shop: Database, tmp_path: Path) -> None:
    path = tmp_path / "people.parquet"
    assert shop.export_parquet(path, table="people", batch_rows=7) == N
    back = pd.read_parquet(path)
    pd.testing.assert_frame_equal(
        back.astype({"born": "datetime64[ns]"}), FRAME.astype({"born": "datetime64[ns]"}), check_dtype=False
    )
    assert back["member"].dtype == bool and back["id"].dtype.kind == "i"
    assert shop.export_parquet(tmp_path / "few.parquet", query="SELECT id FROM people WHERE id <= 3") == 3


def test_a_table_and_a_query_are_exclusive(postgres: Database) -> None:
    with pytest.raises(ValueError):
        postgres.read(table="people", query="SELECT 1")
    with pytest.raises(ValueError):
        postgres.count()


# ---------- refusals and failures ----------


def test_check_select_passes_one_query_and_refuses_the_rest() -> None:
    assert (
        check_select("  -- who\nSELECT ';' AS x, \"into\" FROM t; /* done */ ")
        == "-- who\nSELECT ';' AS x, \"into\" FROM t"
    )
    assert check_select("WITH a AS (SELECT 1) SELECT * FROM a") == "WITH a AS (SELECT 1) SELECT * FROM a"
    assert check_select("(VALUES (1)) UNION ALL (TABLE t)") == "(VALUES (1)) UNION ALL (TABLE t)"
    for query, reason in [
        ("DROP TABLE people", "starting with DROP"),
        ("insert into people (id) values (1)", "starting with INSERT"),
        ("SELECT * INTO copy FROM people", "INTO"),
        ("WITH d AS (DELETE FROM people RETURNING *) SELECT * FROM d", "DELETE"),
        ("SELECT * FROM people FOR UPDATE", "UPDATE"),
        ("SELECT 1; DROP TABLE people", "more than one statement"),
        ("SELECT 1) AS q) TO PROGRAM 'rm -r /' --", "parentheses"),  # out of the parentheses it is put in
        ("SELECT (1", "parentheses"),
        ("-- nothing", "empty"),
    ]:
        with pytest.raises(QueryRefusedError, match=reason):
            check_select(query)


def test_writes_are_refused_by_the_check_and_by_the_read_only_transaction(
    postgres: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    with pytest.raises(QueryRefusedError):
        postgres.read(query="DELETE FROM people")
    monkeypatch.setattr(databases, "check_select", lambda query: query)  # the database must refuse alone
    for query in ["SELECT add_person()", "SELECT nextval('ticket')"]:
        with pytest.raises(QueryRefusedError, match="read-only transaction"):
            postgres.read(query=query)
    assert postgres.count(table="people") == N


@pytest.mark.parametrize(
    ("dialect", "slow"),
    [
        ("postgresql", "SELECT pg_sleep(5)"),
        ("sqlite", "WITH RECURSIVE c(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM c) SELECT max(n) FROM c"),
        ("duckdb", "SELECT sum(i * i) FROM range(1000000000000) AS t(i)"),
    ],
)
def test_a_slow_query_is_stopped_and_the_database_still_answers(
    dialect: str, slow: str, request: pytest.FixtureRequest
) -> None:
    if dialect == "postgresql":
        spec, password = request.getfixturevalue("postgres").spec, READER_PASSWORD
    else:
        spec, password = parse_url(file_url(request.getfixturevalue(f"{dialect}_file")))
    with Database(spec, password, timeout_s=0.5) as db:
        start = time.perf_counter()
        with pytest.raises(QueryTimeoutError, match=r"longer than 0\.5 s") as caught:
            db.read(query=slow)
        assert time.perf_counter() - start < 3
        assert "row limit" in caught.value.hint
        assert db.count(table="people") == N


def test_a_wrong_password_is_reported_plainly_and_never_echoed(server: PostgresServer) -> None:
    spec, wrong = parse_url(server.url(password="Wrong-Pw-77"))
    with pytest.raises(DatabaseError, match="refused the login") as caught:
        Database(spec, wrong)
    shown = "".join(traceback.format_exception(caught.value)) + repr(caught.value) + caught.value.hint
    for password in ("Wrong-Pw-77", READER_PASSWORD):
        assert password not in shown
    with Database(spec, READER_PASSWORD) as db:
        assert READER_PASSWORD not in repr(db) + str(db) + repr(db.spec) + str(db.tables())


def test_an_unreachable_server_or_a_missing_database_is_said_plainly(server: PostgresServer) -> None:
    with pytest.raises(DatabaseError, match="no database named nowhere"):
        Database(parse_url(server.url(database="nowhere"))[0], READER_PASSWORD)
    closed = PostgresServer(port=1)
    with pytest.raises(DatabaseError, match=r"at 127\.0\.0\.1:1 could not be reached \(Connection refused\)"):
        Database(parse_url(closed.url())[0], READER_PASSWORD, timeout_s=2)


def test_unknown_tables_and_columns_are_refused_with_the_database_reason(postgres: Database) -> None:
    with pytest.raises(DatabaseError, match="no table or view named secret"):
        postgres.read(table="secret")  # not granted: not listed, never put into SQL
    with pytest.raises(DatabaseError, match="no table or view named people; DROP"):
        postgres.preview("people; DROP TABLE people")
    with pytest.raises(DatabaseError, match='column "nope" does not exist'):
        postgres.read(query="SELECT nope FROM people")
    with pytest.raises(DatabaseError, match="permission denied for table secret"):
        postgres.read(query="SELECT * FROM secret")
    assert postgres.count(table='sales."Order Lines"') == postgres.count(table="sales.Order Lines") == 3


def test_driver_text_never_carries_the_password(
    server: PostgresServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    def echo(*_: object) -> None:  # a driver quoting the URL back, as SQLAlchemy's errors do
        raise psycopg.OperationalError(
            f"no route to postgresql://reader:{READER_PASSWORD}@db/shop ({READER_PASSWORD})"
        )

    monkeypatch.setattr(database_backends.Postgres, "open", echo)
    with pytest.raises(DatabaseError, match="could not be reached") as caught:
        Database(parse_url(server.url())[0], READER_PASSWORD)
    assert READER_PASSWORD not in str(caught.value) and "reader:***@db" in str(caught.value)


def test_mysql_needs_its_driver_or_a_server() -> None:
    with pytest.raises(DatabaseError, match=r"PyMySQL|could not be reached"):  # nothing listens on port 1
        Database(DatabaseSpec("mysql://bob@127.0.0.1:1/shop"), "pw", timeout_s=2)


def test_missing_files_are_refused(tmp_path: Path) -> None:
    with pytest.raises(DatabaseError, match="could not be opened"):
        Database(DatabaseSpec(f"sqlite:///{tmp_path / 'none.db'}"))
    with pytest.raises(DatabaseError, match="could not be opened"):
        Database(DatabaseSpec(f"duckdb:///{tmp_path / 'none.duckdb'}"))
