"""Tables larger than memory: statistics of every row through DuckDB, and a uniform sample to work on.

A Parquet or CSV file (or a database table exported to Parquet) over the memory limit is not refused:
DuckDB scans it where it lies, within a share of the limit and spilling to a private folder, to
compute the overview's statistics on every row; the app then works on a uniform random sample whose
size the user chooses within the limit. The sample is a smaller file of the same format read by the
same reader as a whole file, so its types are the ones a normal load gives.
"""

from __future__ import annotations

import itertools
import math
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from mlcore.data.columns import clean_column_names
from mlcore.data.duckdb_scan import (
    ENGINE,
    MEMORY_SHARE,
    Scan,
    first_row,
    open_scan,
    quote,
    session,
)
from mlcore.data.loading import finish_dataset, hash_file
from mlcore.data.readers import RawTable, ReadOptions, header_names, read_head, read_table
from mlcore.data.sniff import HEAD_BYTES
from mlcore.dataset import Dataset, FileFormat
from mlcore.errors import DataLoadError, EmptyFileError, LimitExceededError, UnsupportedFormatError
from mlcore.origin import ColumnSummary, Origin, WholeTable
from mlcore.settings import DEFAULT, Limits

NUMBER_TYPES = frozenset(
    {"TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "FLOAT", "DOUBLE"}
    | {"UTINYINT", "USMALLINT", "UINTEGER", "UBIGINT", "UHUGEINT"}
)
TEXT_TYPES = frozenset({"VARCHAR", "BOOLEAN"})  # and ENUM(...): the columns whose top values are shown
# Columns with at most about this many values are counted exactly, with their top values
EXACT_DISTINCT = 5_000
TOP_VALUES = 5
TEXT_CHARS = 200  # a value kept as text (min, max, top) is cut to this many characters
HISTOGRAM_BYTES = 1024  # DuckDB's memory per distinct value and thread when counting values (measured ~800)
# Of the memory limit, for the default sample's footer estimate: reading a sample peaks at about four
# times its estimate (Arrow and pandas copies; measured by bench_large_tables), and training copies it again
SAMPLE_SHARE = 0.125
KEY_CHUNK = 1 << 22  # sample keys drawn at once
BYTES_PER_CELL = 8  # a number in memory, however few characters it takes in a text file


@dataclass(frozen=True)
class _Column:
    """A column as DuckDB names and types it, and the name our readers give it."""

    engine_name: str
    dtype: str
    name: str

    @property
    def is_number(self) -> bool:
        return self.dtype in NUMBER_TYPES or self.dtype.startswith("DECIMAL")

    @property
    def is_text(self) -> bool:
        return self.dtype in TEXT_TYPES or self.dtype.startswith("ENUM")

    @property
    def value(self) -> str:
        """The column in SQL, NaN read as missing as pandas does."""
        name = quote(self.engine_name)
        return f"nullif({name}, 'NaN')" if self.dtype in ("FLOAT", "DOUBLE") else name


@dataclass(frozen=True)
class _Footprint:
    """What reading the whole file would hold, by the estimates the readers check before reading."""

    rows: int
    columns: int
    bytes: int

    @property
    def per_row(self) -> float:
        return self.bytes / max(self.rows, 1)

    def rows_within(self, limits: Limits, memory: float) -> int:
        """The most rows that stay within the table limits and `memory` bytes."""
        return min(limits.max_rows, limits.max_cells // max(self.columns, 1), int(memory / self.per_row))


# ---------- statistics of every row ----------


def summarize(path: Path, limits: Limits = DEFAULT.limits, *, threads: int | None = None) -> WholeTable:
    """Statistics of every row of a Parquet or CSV file, computed by DuckDB within the memory limit.

    One pass computes each column's count, approximate distinct count, extremes, and for numbers the
    mean, standard deviation and approximate quartiles; a second pass counts the values of the columns
    with few of them, exactly (their distinct count and, for text, their most frequent values).
    """
    scan = open_scan(path)
    start = time.perf_counter()
    with _private_folder() as folder, session(scan, limits, folder, threads) as connection:
        try:
            rows, columns = _summarize(connection, scan, limits)
        except duckdb.ConversionException:  # a CSV value late in the file misfits the type of the first rows
            rows, columns = _summarize(connection, replace(scan, full_sniff=True), limits)
    return WholeTable(rows, columns, time.perf_counter() - start, ENGINE)


def _summarize(
    connection: duckdb.DuckDBPyConnection, scan: Scan, limits: Limits
) -> tuple[int, tuple[ColumnSummary, ...]]:
    columns = _columns(connection, scan)
    sql, params = scan.source()
    aggregates = ", ".join(_aggregates(column) for column in columns)
    rows, *stats = first_row(connection, f"SELECT count(*), {aggregates} FROM {sql}", params)
    _check_rows(rows)
    counted = _counted(connection, scan, columns, stats, limits.max_memory_bytes * MEMORY_SHARE)
    pairs = enumerate(zip(columns, stats, strict=True))
    return rows, tuple(_summary(column, rows, stat, counted.get(i)) for i, (column, stat) in pairs)


def _columns(connection: duckdb.DuckDBPyConnection, scan: Scan) -> list[_Column]:
    """DuckDB's columns beside the names a normal load gives them (a pandas index is not a column)."""
    sql, params = scan.source()
    described = connection.sql(f"DESCRIBE SELECT * FROM {sql}", params=params).fetchall()
    names, index = _file_names(connection, scan)
    kept = [i for i, name in enumerate(names) if name not in index]
    cleaned, _ = clean_column_names([names[i] for i in kept])
    if not cleaned:
        raise EmptyFileError(
            "The file holds no table: it has no columns.", "Check that you picked the right file."
        )
    return [_Column(described[i][0], described[i][1], name) for i, name in zip(kept, cleaned, strict=True)]


def _file_names(connection: duckdb.DuckDBPyConnection, scan: Scan) -> tuple[list[str], set[str]]:
    """The column names as the file writes them (DuckDB renames duplicate and empty ones its own way),
    and those of a Parquet file's pandas index."""
    if scan.file_format is FileFormat.PARQUET:
        schema = pq.read_schema(scan.path)
        index = (schema.pandas_metadata or {}).get("index_columns", [])
        return schema.names, {name for name in index if isinstance(name, str)}
    sql, params = scan.source(as_text=True)  # the header is the first row
    return list(first_row(connection, f"SELECT * FROM {sql} LIMIT 1", params)), set()


def _check_rows(rows: int) -> None:
    if rows == 0:
        raise EmptyFileError(
            "The file has column names but no rows of data.",
            "Add rows to the table, or check that you exported the whole table.",
        )


def _aggregates(column: _Column) -> str:
    value = column.value
    fields = {
        "present": f"count({value})",
        "uniques": f"approx_count_distinct({value})",
        "low": f"min({value})::VARCHAR",
        "high": f"max({value})::VARCHAR",
    }
    if column.is_number:
        fields |= {
            "mean": f"avg({value})::DOUBLE",
            "std": f"stddev_samp({value})::DOUBLE",
            "quartiles": f"approx_quantile({value}, [0.25, 0.5, 0.75])::DOUBLE[]",
        }
    return "struct_pack(" + ", ".join(f"{key} := {sql}" for key, sql in fields.items()) + ")"


def _counted(
    connection: duckdb.DuckDBPyConnection,
    scan: Scan,
    columns: list[_Column],
    stats: list[dict],
    memory: float,
) -> dict[int, dict]:
    """Exact distinct counts and top values of the columns with few values, as many as memory allows.

    DuckDB counts a column's values in a map per thread (about a kilobyte a value), so the columns are
    taken fewest values first while their maps fit in a quarter of DuckDB's memory.
    """
    threads = int(first_row(connection, "SELECT current_setting('threads')")[0])
    budget = memory / 4 / (threads * HISTOGRAM_BYTES)
    candidates = sorted(
        (stat["uniques"], i) for i, stat in enumerate(stats) if 0 < stat["uniques"] <= EXACT_DISTINCT
    )
    chosen = []
    for distinct, i in candidates:
        budget -= distinct * 1.1 + 1  # HyperLogLog may undercount by a few percent
        if budget < 0:
            break
        chosen.append(i)
    if not chosen:
        return {}
    sql, params = scan.source()
    maps = ", ".join(f"histogram({columns[i].value}) AS h{i}" for i in chosen)
    counts = ", ".join(_counts(f"h{i}") for i in chosen)
    row = first_row(connection, f"SELECT {counts} FROM (SELECT {maps} FROM {sql})", params)
    return dict(zip(chosen, row, strict=True))


def _counts(histogram: str) -> str:
    """The number of distinct values in a value → count map, and its most frequent values (ties by value)."""
    ranked = (
        f"list_sort(list_transform(map_entries({histogram}), "
        "lambda e: {'n': -e.value::BIGINT, 'v': e.key::VARCHAR}))"
    )
    top = f"list_transform({ranked}[1:{TOP_VALUES}], lambda e: {{'value': e.v, 'count': -e.n}})"
    return f"struct_pack(uniques := coalesce(cardinality({histogram}), 0), top := {top})"


def _summary(column: _Column, rows: int, stat: dict, counted: dict | None) -> ColumnSummary:
    quartiles = stat.get("quartiles") or (None, None, None)
    top = (counted["top"] or []) if counted and column.is_text else []
    return ColumnSummary(
        name=column.name,
        dtype=column.dtype,
        count=stat["present"],
        missing=rows - stat["present"],
        distinct=counted["uniques"] if counted else min(stat["uniques"], stat["present"]),
        min=_cut(stat["low"]),
        max=_cut(stat["high"]),
        mean=stat.get("mean"),
        std=stat.get("std"),
        q25=quartiles[0],
        q50=quartiles[1],
        q75=quartiles[2],
        top=tuple((_cut(entry["value"]), entry["count"]) for entry in top),
    )


def _cut(text: str | None) -> str | None:
    return text if text is None or len(text) <= TEXT_CHARS else text[: TEXT_CHARS - 1] + "…"


# ---------- the sample ----------


def default_sample_rows(whole: WholeTable, path: Path, limits: Limits = DEFAULT.limits) -> int:
    """As many rows as fit comfortably: an eighth of the memory limit by the file's bytes per row."""
    footprint = _footprint(open_scan(path), whole.rows)
    return max(1, min(whole.rows, footprint.rows_within(limits, limits.max_memory_bytes * SAMPLE_SHARE)))


def sample(path: Path, rows: int, seed: int, limits: Limits = DEFAULT.limits) -> RawTable:
    """A uniform random sample of `min(rows, total)` rows in file order, the same for the same seed.

    The rows are typed as our readers type the file: they are copied into a smaller file of the same
    format (CSV: each value as written; Parquet: the file's own schema) that `read_table` reads.
    """
    return _sample(open_scan(path), rows, seed, limits, total=None)


def _sample(scan: Scan, rows: int, seed: int, limits: Limits, total: int | None) -> RawTable:
    if rows < 1:
        raise DataLoadError("A sample needs at least one row.", "Choose a sample size of 1 row or more.")
    text = scan.file_format is FileFormat.DELIMITED
    with _private_folder() as folder:
        copy = folder / ("sample.csv" if text else "sample.parquet")
        with session(scan, limits, folder) as connection:
            sql, params = scan.source()
            if total is None:
                total = first_row(connection, f"SELECT count(*) FROM {sql}", params)[0]
                _check_rows(total)
            footprint = _footprint(scan, total)
            with _sample_limits(footprint, limits):
                limits.check_table(min(rows, total), footprint.columns)
                limits.check_memory(int(min(rows, total) * footprint.per_row))
            positions = chosen_rows(total, rows, seed)
            if text:
                _copy_text_rows(connection, scan, positions, copy)
            else:
                _copy_parquet_rows(connection, scan, positions, copy)
        if text and scan.text.encoding != "utf-8":  # DuckDB writes UTF-8
            copy.write_bytes(copy.read_text("utf-8").encode(scan.text.encoding))
        with _sample_limits(footprint, limits):  # the estimate may fall short of what is read
            return read_table(copy, ReadOptions(), limits, scan.path.name)


def chosen_rows(total: int, rows: int, seed: int) -> np.ndarray:
    """Positions (0-based, ascending) of a uniform random sample of `rows` of `total` rows.

    Each row gets an independent uniform key from a generator seeded by `seed`, drawn in file order,
    and the rows with the smallest keys are kept: every set of `rows` rows is equally likely, and the
    choice depends on the seed alone (not on threads, nor on DuckDB's version). Only keys under a bound
    that lets a few more than `rows` through are kept, so memory follows the sample, not the table.
    """
    if rows >= total:
        return np.arange(total)
    bound = (rows + 8 * math.sqrt(rows) + 64) / total  # fewer than `rows` under it: about 1 in 10^15
    while True:
        generator = np.random.default_rng(seed)
        keys, positions = [], []
        for start in range(0, total, KEY_CHUNK):
            drawn = generator.random(min(KEY_CHUNK, total - start))
            (under,) = np.nonzero(drawn < bound)
            keys.append(drawn[under])
            positions.append(under + start)
        kept = np.concatenate(keys)
        if len(kept) >= rows:
            return np.sort(np.concatenate(positions)[np.argpartition(kept, rows - 1)[:rows]])
        bound = min(1.0, 2 * bound)


@contextmanager
def _sample_limits(footprint: _Footprint, limits: Limits) -> Iterator[None]:
    """A sample over the limits is refused with the number of rows that would fit."""
    try:
        yield
    except LimitExceededError as exc:
        fit = footprint.rows_within(limits, limits.max_memory_bytes)
        raise LimitExceededError(
            exc.message, f"Choose fewer rows for the sample: about {fit:,} fit within the limits."
        ) from None


def _selected(
    connection: duckdb.DuckDBPyConnection, scan: Scan, positions: np.ndarray, as_text: tuple[str, ...] = ()
) -> duckdb.DuckDBPyRelation:
    """The rows at `positions` (of the file as DuckDB reads it, with `as_text` for CSV), in file order;
    the columns named in `as_text` as text."""
    connection.register("chosen", pa.table({"position": positions}))
    sql, params = scan.source(as_text=scan.file_format is FileFormat.DELIMITED)
    texts = ", ".join(f"{quote(name)}::VARCHAR AS {quote(name)}" for name in as_text)
    columns = f"* REPLACE ({texts})" if texts else "*"
    query = f"SELECT {columns} FROM {sql} QUALIFY row_number() OVER () - 1 IN (SELECT position FROM chosen)"
    return connection.sql(query, params=params)


def _copy_text_rows(
    connection: duckdb.DuckDBPyConnection, scan: Scan, positions: np.ndarray, copy: Path
) -> None:
    """The header and the chosen rows, each value as written (the header is the first row read as text)."""
    with_header = np.concatenate(([0], positions + 1))
    _selected(connection, scan, with_header).write_csv(
        str(copy), sep=scan.text.delimiter, header=False, quotechar='"', escapechar='"'
    )


def _copy_parquet_rows(
    connection: duckdb.DuckDBPyConnection, scan: Scan, positions: np.ndarray, copy: Path
) -> None:
    """The chosen rows in the file's own schema (pandas metadata included), batch by batch.

    A column whose values Arrow cannot cast back from DuckDB's type to the file's (a UUID, an interval)
    is read again as text: rare, and better than refusing the file.
    """
    file_schema = pq.read_schema(scan.path)
    batches = _selected(connection, scan, positions).to_arrow_reader()
    first = batches.read_next_batch()  # at least one row is chosen
    misfits = [i for i, field in enumerate(file_schema) if not _casts(first.column(i), field.type)]
    if misfits:
        batches.close()
        batches = _selected(connection, scan, positions, tuple(first.schema.names[i] for i in misfits))
        batches = batches.to_arrow_reader()
        first = batches.read_next_batch()
    fields = [field.with_type(pa.string()) if i in misfits else field for i, field in enumerate(file_schema)]
    schema = pa.schema(fields, metadata=file_schema.metadata)
    with pq.ParquetWriter(copy, schema, compression="none") as writer:
        for batch in itertools.chain([first], batches):
            columns = [column.cast(field.type) for column, field in zip(batch.columns, schema, strict=True)]
            writer.write_batch(pa.RecordBatch.from_arrays(columns, schema=schema))


def _casts(column: pa.Array, to: pa.DataType) -> bool:
    try:
        column.cast(to)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return False
    return True


# ---------- a Dataset ----------


def load_large(
    path: Path,
    name: str,
    source: str,
    *,
    sample_rows: int | None = None,
    seed: int = 0,
    limits: Limits = DEFAULT.limits,
    whole: WholeTable | None = None,
    origin: Origin | None = None,
) -> Dataset:
    """A file too large for memory as a Dataset of a uniform sample; its origin holds every row's statistics.

    `whole` (a first scan's statistics) spares a second scan when only the sample size or seed changes;
    `origin` (a database read: where, which table or query) is completed with the sample's facts.
    """
    scan = open_scan(path)
    whole = whole or summarize(path, limits)
    rows = default_sample_rows(whole, path, limits) if sample_rows is None else sample_rows
    raw = _sample(scan, rows, seed, limits, total=whole.rows)
    kept = len(raw.frame)
    facts = {"total_rows": whole.rows, "sampled_rows": kept, "sample_seed": seed, "whole": whole}
    read_at = datetime.now(UTC).isoformat(timespec="seconds")
    origin = (
        replace(origin, **facts, read_at=origin.read_at or read_at)
        if origin
        else Origin(location=name, read_at=read_at, **facts)
    )
    content_hash = hash_file(path, "sample", str(whole.rows), str(kept), str(seed))
    return finish_dataset(raw, ReadOptions(), name, source, content_hash, limits, origin)


# ---------- too large to read whole? ----------


def too_large(path: Path, limits: Limits = DEFAULT.limits) -> bool:
    """Whether reading the whole file would exceed the limits, from its footer or its size (cheap).

    Only Parquet and delimited text can be read larger than memory; other formats answer False and
    their reader refuses them as before.
    """
    try:
        footprint = _footprint(open_scan(path), None)
    except UnsupportedFormatError:
        return False
    try:
        limits.check_table(footprint.rows, footprint.columns)
        limits.check_memory(footprint.bytes)
    except LimitExceededError:
        return True
    return False


def _footprint(scan: Scan, rows: int | None) -> _Footprint:
    """Parquet: the footer's rows, columns and unpacked size. Text: its size, or eight bytes a cell when
    more (numbers take more in memory than in text); its rows counted, or estimated from the first lines."""
    if scan.metadata is not None:  # Parquet
        meta = scan.metadata
        unpacked = sum(meta.row_group(i).total_byte_size for i in range(meta.num_row_groups))
        return _Footprint(meta.num_rows, meta.num_columns, unpacked)
    size = scan.path.stat().st_size
    head = read_head(scan.path)
    columns = len(header_names(scan.path, scan.text))
    if rows is None:
        lines = head.count(b"\n")
        rows = max(lines - 1, 0) if len(head) < HEAD_BYTES else math.ceil(size * lines / len(head))
    return _Footprint(rows, columns, max(size, rows * columns * BYTES_PER_CELL))


@contextmanager
def _private_folder() -> Iterator[Path]:
    """A folder of our own for DuckDB's spills and the sample's copy, removed after."""
    with tempfile.TemporaryDirectory(prefix="mlcore-large-") as folder:
        yield Path(folder)
