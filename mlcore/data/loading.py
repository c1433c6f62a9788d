"""Load a user's file into a `Dataset`: size limits, reading, tidying, schema, content hash."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import xxhash

from mlcore.data.readers import RawTable, ReadOptions, read_table
from mlcore.data.tidy import tidy_frame
from mlcore.dataset import Dataset, build_dataset, hash_bytes
from mlcore.errors import DataLoadError
from mlcore.origin import Origin
from mlcore.settings import DEFAULT, Limits


def load_bytes(
    data: bytes, filename: str, options: ReadOptions = ReadOptions(), limits: Limits = DEFAULT.limits
) -> tuple[Dataset, RawTable]:
    """Load an uploaded file; the raw table is returned too so the page can offer a sheet picker."""
    limits.check_upload(len(data))
    raw = read_table(data, options, limits, filename)
    content_hash = hash_bytes(data, *_choices(raw, options))
    return finish_dataset(raw, options, filename, f"upload: {filename}", content_hash, limits), raw


def load_path(
    path: str | Path, options: ReadOptions = ReadOptions(), limits: Limits = DEFAULT.limits
) -> Dataset:
    """Load a local file (CLI, benchmarks) without copying it into memory first.

    The byte limit is for uploads through the browser; local files are bounded by the table's rows,
    columns, cells and memory, checked from the file before it is read as for uploads.
    """
    path = Path(path)
    if not path.is_file():
        raise DataLoadError(f"There is no file at '{path}'.", "Check the path and try again.")
    raw = read_table(path, options, limits, path.name)
    content_hash = hash_file(path, *_choices(raw, options))
    return finish_dataset(raw, options, path.name, f"file: {path.name}", content_hash, limits)


def _choices(raw: RawTable, options: ReadOptions) -> list[str]:
    """What besides the bytes makes the dataset: the sheet, dropped rows, a chosen date order."""
    chosen = [] if options.day_first is None else [f"day_first={options.day_first}"]
    return [raw.sheet or "", str(options.drop_bad_rows), *chosen]


def finish_dataset(
    raw: RawTable,
    options: ReadOptions,
    name: str,
    source: str,
    content_hash: str,
    limits: Limits,
    origin: Origin | None = None,
) -> Dataset:
    """A read table as a Dataset: within the limits, values tidied, schema inferred (every source)."""
    limits.check_table(*raw.frame.shape)
    tidied = tidy_frame(raw.frame, raw.info.decimal, options.day_first)
    raw.info = replace(
        raw.info,
        thousands_columns=tidied.thousands_columns,
        ambiguous_dates=tidied.ambiguous_dates,
        day_first=tidied.day_first,
    )
    names = list(tidied.frame.columns)
    known = {names[i]: counts for i, counts in raw.counts.items() if names[i] not in tidied.changed}
    return build_dataset(
        tidied.frame,
        name=name,
        source=source,
        content_hash=content_hash,
        notes=raw.notes + tidied.notes,
        known_counts=known,
        read_info=raw.info,
        coerced_cells=tidied.coerced,
        origin=origin,
    )


def hash_file(path: Path, *extra: str) -> str:
    digest = xxhash.xxh3_128()
    with open(path, "rb") as handle:
        while chunk := handle.read(8 * 2**20):
            digest.update(chunk)
    for part in extra:
        digest.update(part.encode())
    return digest.hexdigest()
