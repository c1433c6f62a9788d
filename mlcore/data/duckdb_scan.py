"""DuckDB over one Parquet or CSV file on disk, bounded and sealed, for tables larger than memory.

A session may use half of the memory limit (the rest is left to Python, Arrow and the sample) and
spills to a private folder; once set up it may open no file but the one it scans and that folder,
so no query can reach the network or another file, and no extension is installed or loaded. The
file is passed as a parameter, never spliced into SQL, and column names are always quoted. DuckDB's
own errors become typed `mlcore` errors with a plain message and a hint.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from mlcore.data.readers import NULL_TOKENS, read_head
from mlcore.data.sniff import TextDialect, detect_format, sniff_dialect, unreadable
from mlcore.dataset import FileFormat
from mlcore.errors import DataLoadError, LimitExceededError, MalformedTableError, UnsupportedFormatError
from mlcore.settings import Limits

ENGINE = f"DuckDB {duckdb.__version__}"
MEMORY_SHARE = 0.5  # of `Limits.max_memory_bytes`, for DuckDB's buffers (its hash tables, sorts, reads)
# DuckDB decodes UTF-8, UTF-16 and Latin-1 without the `encodings` extension; cp1252 is Latin-1 except
# for the bytes 0x80-0x9F, which DuckDB refuses, so a cp1252 file without them reads the same
_DUCKDB_ENCODINGS = {"utf-8": "utf-8", "utf-8-sig": "utf-8", "utf-16": "utf-16", "cp1252": "latin-1"}
_PLAIN_CSV = TextDialect("utf-8", ",", ".")
_CSV_LINE = re.compile(r"Line: (\d+)")


@dataclass(frozen=True)
class Scan:
    """A file as DuckDB reads it: its format (from its content, not its name) and, for text, its dialect."""

    path: Path
    file_format: FileFormat
    dialect: TextDialect | None = None  # delimited text
    metadata: pq.FileMetaData | None = None  # Parquet: the footer
    full_sniff: bool = False  # CSV column types from every row, not the first ones (a later row misfit)

    @property
    def text(self) -> TextDialect:
        """How the text is written (plain CSV for a Parquet file, which has none)."""
        return self.dialect or _PLAIN_CSV

    def source(self, *, as_text: bool = False) -> tuple[str, list[object]]:
        """The table function reading the file, and its parameters.

        `as_text` reads a CSV file as it is written: every value as text, the header as the first row.
        """
        if self.file_format is FileFormat.PARQUET:
            return "read_parquet(?)", [str(self.path)]
        dialect = self.text
        options: dict[str, object] = {
            "header": not as_text,
            "all_varchar": as_text,
            "delim": dialect.delimiter,
            "quote": '"',
            "escape": '"',
            "comment": "",  # our reader keeps lines that start with '#'
            "skip": 0,
            "encoding": _DUCKDB_ENCODINGS.get(dialect.encoding, dialect.encoding),
            "decimal_separator": dialect.decimal,
        }
        if not as_text:
            options["nullstr"] = NULL_TOKENS
        if self.full_sniff:
            options["sample_size"] = -1
        arguments = ", ".join(f"{name} = ?" for name in options)
        return f"read_csv(?, {arguments})", [str(self.path), *options.values()]


def open_scan(path: Path) -> Scan:
    """The file's format from its first bytes; anything but Parquet or delimited text is refused."""
    if not path.is_file():
        raise DataLoadError(f"There is no file at '{path}'.", "Check the path and try again.")
    head = read_head(path)
    file_format = detect_format(head)
    if file_format is FileFormat.PARQUET:
        scan = Scan(path, file_format)
        with translated(scan):
            return replace(scan, metadata=pq.read_metadata(path))
    if file_format is not FileFormat.DELIMITED:
        raise UnsupportedFormatError(
            f"A {file_format} file is read whole; only Parquet and CSV files can be larger than memory.",
            "Save the table as Parquet (best) or CSV and load that file.",
        )
    return Scan(path, file_format, sniff_dialect(head))


def quote(name: str) -> str:
    """A column name as a DuckDB identifier, whatever it holds (quotes, spaces, any script)."""
    return '"' + name.replace('"', '""') + '"'


@contextmanager
def session(
    scan: Scan, limits: Limits, folder: Path, threads: int | None = None
) -> Iterator[duckdb.DuckDBPyConnection]:
    """A DuckDB connection that may read `scan`'s file and spill to `folder`, and nothing else."""
    config: dict[str, object] = {
        "memory_limit": f"{int(limits.max_memory_bytes * MEMORY_SHARE) // 1024}KiB",
        "temp_directory": str(folder),
        "autoinstall_known_extensions": False,
        "autoload_known_extensions": False,
        "allow_community_extensions": False,
    }
    threads = _threads(scan, limits, threads)
    if threads is not None:
        config["threads"] = threads
    connection = duckdb.connect(":memory:", config=config)
    try:
        connection.execute("SET enable_progress_bar = false")  # it would write to the server's log
        connection.execute("SET TimeZone = 'UTC'")  # timestamps with a zone as text alike on every machine
        # Parquet column chunks are read page by page, not whole: a chunk can be larger than the memory limit
        connection.execute("SET disable_parquet_prefetching = true")
        connection.execute("SET parquet_can_have_nan = true")  # else NaN values are taken for numbers
        # External access can only be switched off after the paths it keeps are set
        connection.execute("SET allowed_paths = ?", [[str(scan.path)]])
        connection.execute("SET allowed_directories = ?", [[f"{folder}/"]])
        connection.execute("SET enable_external_access = false")
        with translated(scan):
            yield connection
    finally:
        connection.close()


def _threads(scan: Scan, limits: Limits, wanted: int | None) -> int | None:
    """No more threads than half of DuckDB's memory holds row groups: each thread decodes one at a time,
    and a row group of long texts takes a hundred megabytes or more."""
    if scan.metadata is None:
        return wanted
    groups = scan.metadata.num_row_groups
    biggest = max((scan.metadata.row_group(i).total_byte_size for i in range(groups)), default=0)
    fit = max(1, int(limits.max_memory_bytes * MEMORY_SHARE / 2 // max(biggest, 1)))
    return min(wanted or os.cpu_count() or 1, fit)


def first_row(connection: duckdb.DuckDBPyConnection, query: str, params: list[object] | None = None) -> tuple:
    """The first row of a query's result (a relation in this DuckDB has no `fetchone`)."""
    return connection.sql(query, params=params).fetchall()[0]


@contextmanager
def translated(scan: Scan) -> Iterator[None]:
    """DuckDB's and Arrow's failures on the file as typed errors that say what to do."""
    try:
        yield
    except (duckdb.ParserException, duckdb.BinderException):
        raise  # our SQL, not the file
    except duckdb.OutOfMemoryException as exc:
        raise LimitExceededError(
            "DuckDB needed more memory than the limit allows for this table.",
            "Load fewer columns (save the ones you need as Parquet), or raise the memory limit.",
        ) from exc
    except (duckdb.Error, pa.ArrowException) as exc:
        if scan.file_format is FileFormat.PARQUET:
            raise unreadable(FileFormat.PARQUET) from exc
        raise _text_error(str(exc)) from exc


def _text_error(detail: str) -> MalformedTableError:
    if "encoded" in detail:
        return MalformedTableError(
            "The text holds characters a large file cannot be read with (Windows quotes or the euro sign).",
            "Save the file as CSV in UTF-8 (Excel: 'CSV UTF-8'), or as Parquet, and load it again.",
        )
    line = _CSV_LINE.search(detail)
    where = f" (line {int(line.group(1)):,})" if line else ""
    return MalformedTableError(
        f"The text could not be read as a table{where}.",
        'The usual causes are a row with more or fewer fields than the header, or a quote (") that opens '
        "a value and never closes it: fix the file, or save it again as CSV or Parquet.",
    )
