"""A throwaway PostgreSQL server for the database-source tests and benchmark.

It runs the system's server binaries (/usr/lib/postgresql/<version>/bin, installed by `make test`) in a
temporary folder, on 127.0.0.1 at a free port, with password (scram-sha-256) logins only: a superuser
that makes the test tables, and a reader that may only SELECT what it is granted, as a real user would.
initdb refuses to run as root, so under root the server runs as the `postgres` OS user. Tests get it
from the session fixture `postgres_server` (registered in conftest.py); bench/bench_database.py imports
`running_server` as `tests.postgres_server`, as other benchmarks import `tests.apptest_support`.
A missing server fails loudly: the database tests are never skipped.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path

import psycopg
import pytest

BINARIES = "/usr/lib/postgresql/*/bin"
OS_USER = "postgres"  # who runs the server when we are root
ADMIN, ADMIN_PASSWORD = "postgres", "admin-Pw-4c1"
READER, READER_PASSWORD = "reader", "reader-Pw-93x"
DATABASE = "shop"
FAST = "-c fsync=off -c synchronous_commit=off -c full_page_writes=off"  # a test server keeps nothing


@dataclass(frozen=True)
class PostgresServer:
    """Where the server listens and who may log in."""

    port: int
    host: str = "127.0.0.1"
    database: str = DATABASE

    def url(self, user: str = READER, password: str | None = None, database: str | None = None) -> str:
        login = user if password is None else f"{user}:{password}"
        return f"postgresql://{login}@{self.host}:{self.port}/{database or self.database}"

    def new_database(self, name: str) -> PostgresServer:
        """The server with a database of its own made, so that test modules sharing the session's server
        do not see each other's tables (the reader may connect to it, as to any new database)."""
        with self.admin() as admin:
            admin.execute(f"CREATE DATABASE {name}")
        return replace(self, database=name)

    def drop_database(self) -> None:
        """Drop this database, closing whatever is still connected to it."""
        with replace(self, database="postgres").admin() as admin:
            admin.execute(f"DROP DATABASE {self.database} WITH (FORCE)")

    def admin(self) -> psycopg.Connection:
        """A writable superuser connection (autocommit) to make tables, roles and grants."""
        return psycopg.connect(
            host=self.host,
            port=self.port,
            user=ADMIN,
            password=ADMIN_PASSWORD,
            dbname=self.database,
            autocommit=True,
        )


def binaries() -> Path:
    """The newest installed server's bin folder; a clear failure when there is none."""
    found = sorted(Path(p).parent for p in Path("/").glob(BINARIES.lstrip("/") + "/pg_ctl"))
    if not found:
        raise RuntimeError(
            f"PostgreSQL server binaries were not found ({BINARIES}/pg_ctl): the database tests need "
            "them. Install them with `make postgres` (Debian package `postgresql`)."
        )
    return max(found, key=lambda p: int(p.parent.name) if p.parent.name.isdigit() else 0)


@contextmanager
def running_server() -> Iterator[PostgresServer]:
    """Start a server in a fresh folder, with the reader role and database made; stop and remove it after."""
    folder = Path(tempfile.mkdtemp(prefix="mlcore-pg-"))
    tool = _tools(binaries(), folder)
    data, password_file = str(folder / "data"), folder / "pw"
    server = PostgresServer(_free_port())
    try:
        password_file.write_text(ADMIN_PASSWORD)
        _own(password_file)
        tool(
            "initdb",
            "-D",
            data,
            "-U",
            ADMIN,
            f"--pwfile={password_file}",
            "--auth=scram-sha-256",
            "-E",
            "UTF8",
        )
        options = f"-c listen_addresses={server.host} -c port={server.port} -k {folder} {FAST}"
        tool("pg_ctl", "-D", data, "-o", options, "-l", str(folder / "log"), "-w", "start")
        _make_reader(server)
        yield server
    finally:
        if (folder / "data" / "postmaster.pid").exists():
            tool("pg_ctl", "-D", data, "-m", "immediate", "-w", "stop")
        shutil.rmtree(folder, ignore_errors=True)


def _make_reader(server: PostgresServer) -> None:
    with psycopg.connect(
        host=server.host, port=server.port, user=ADMIN, password=ADMIN_PASSWORD, dbname="postgres"
    ) as admin:
        admin.autocommit = True
        admin.execute(f"CREATE ROLE {READER} LOGIN PASSWORD '{READER_PASSWORD}'")
        admin.execute(f"CREATE DATABASE {server.database}")


def _tools(bin_dir: Path, folder: Path) -> Callable[..., None]:
    """Run a server binary, as a user initdb accepts (not root), failing with its own output."""
    prefix = []
    if os.geteuid() == 0:
        _own(folder)
        prefix = ["runuser", "-u", OS_USER, "--"]

    def run(name: str, *args: str) -> None:
        done = subprocess.run([*prefix, str(bin_dir / name), *args], capture_output=True, text=True)
        if done.returncode != 0:
            raise RuntimeError(f"`{name} {' '.join(args)}` failed:\n{done.stdout}{done.stderr}")

    return run


def _own(path: Path) -> None:
    if os.geteuid() == 0:
        shutil.chown(path, OS_USER, OS_USER)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """One server for the whole test session (it takes about a second to start)."""
    with running_server() as server:
        yield server
