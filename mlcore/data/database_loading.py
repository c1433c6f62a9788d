"""A database table or query as a `Dataset`, typed and bounded as a file is, remembering its origin.

A result that fits in memory is read whole (up to its row limit); one that does not is streamed to
a Parquet file in a private temporary folder, summarised on every row by DuckDB and sampled, as a
file larger than memory is. The origin keeps the URL without its password, so a project can read
the same rows again.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from mlcore.data.databases import Database, DatabaseSpec
from mlcore.data.large_tables import load_large
from mlcore.data.loading import finish_dataset
from mlcore.data.readers import ReadOptions
from mlcore.dataset import Dataset, hash_frame
from mlcore.errors import DatabaseError
from mlcore.origin import Origin
from mlcore.settings import DEFAULT, Limits

DEFAULT_ROW_LIMIT = DEFAULT.database_row_limit
QUERY_SECONDS = 30.0  # the statement timeout of a read into memory
EXPORT_SECONDS = 30 * 60.0  # of streaming every row of a table larger than memory to a file


@dataclass(frozen=True)
class DatabaseRead:
    """What to read: one table or one SELECT, with its row limit, or a uniform sample of every row."""

    table: str | None = None
    query: str | None = None
    row_limit: int = DEFAULT_ROW_LIMIT
    sample: bool = False  # every row summarised by DuckDB, a uniform sample kept (too large for memory)
    sample_rows: int | None = None  # None: as many as fit comfortably
    seed: int = 0

    def __post_init__(self) -> None:
        if (self.table is None) == (self.query is None):
            raise DatabaseError("Choose a table or write a query (one of the two).", "Pick a table below.")
        if self.row_limit < 1:
            raise DatabaseError("The row limit must be at least 1.", "Set a row limit such as 100,000.")

    @property
    def name(self) -> str:
        return self.table or "query"


def load_database(
    spec: DatabaseSpec, password: str | None, read: DatabaseRead, limits: Limits = DEFAULT.limits
) -> Dataset:
    """The rows `read` names as a Dataset whose origin says where they came from and when."""
    origin = Origin(
        location=spec.url,
        table=read.table or "",
        query=read.query or "",
        password_env=spec.password_env,
        read_at=datetime.now(UTC).isoformat(timespec="seconds"),
        row_limit=None if read.sample else read.row_limit,
    )
    source = f"database: {spec.url}"
    with Database(spec, password, EXPORT_SECONDS if read.sample else QUERY_SECONDS) as database:
        if read.sample:
            return _sampled(database, read, source, origin, limits)
        raw = database.read(table=read.table, query=read.query, row_limit=read.row_limit, limits=limits)
    content_hash = hash_frame(raw.frame)
    return finish_dataset(raw, ReadOptions(), read.name, source, content_hash, limits, origin)


def _sampled(database: Database, read: DatabaseRead, source: str, origin: Origin, limits: Limits) -> Dataset:
    with tempfile.TemporaryDirectory(prefix="mlcore-table-") as folder:
        path = Path(folder) / "table.parquet"
        database.export_parquet(path, table=read.table, query=read.query)
        return load_large(
            path,
            read.name,
            source,
            sample_rows=read.sample_rows,
            seed=read.seed,
            limits=limits,
            origin=origin,
        )


def refresh_read(origin: Origin, seed: int) -> tuple[DatabaseSpec, DatabaseRead]:
    """The spec and read that produce `origin`'s rows again (the password is asked for anew)."""
    if not (origin.table or origin.query):
        raise DatabaseError("This dataset was not read from a database.", "Load the file again instead.")
    spec = DatabaseSpec(origin.location, origin.password_env)
    read = DatabaseRead(
        table=origin.table or None,
        query=origin.query or None,
        row_limit=origin.row_limit or DEFAULT_ROW_LIMIT,
        sample=origin.is_sample,
        sample_rows=origin.sampled_rows,
        seed=seed if origin.sample_seed is None else origin.sample_seed,
    )
    return spec, read
