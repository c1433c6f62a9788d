"""Load a user's file into a `Dataset`: size limits, reading, tidying, schema, content hash."""

from __future__ import annotations

from pathlib import Path

import xxhash

from mlcore.dataset import Dataset, build_dataset, hash_bytes
from mlcore.errors import DataLoadError, LimitExceededError
from mlcore.readers import RawTable, ReadOptions, read_table
from mlcore.settings import DEFAULT, Limits
from mlcore.tidy import tidy_frame


def load_bytes(
    data: bytes, filename: str, options: ReadOptions = ReadOptions(), limits: Limits = DEFAULT.limits
) -> tuple[Dataset, RawTable]:
    """Load an uploaded file; the raw table is returned too so the page can offer a sheet picker."""
    _check_size(len(data), limits)
    raw = read_table(data, options)
    content_hash = hash_bytes(data, raw.sheet or "", str(options.drop_bad_rows))
    return _finish(raw, filename, f"upload: {filename}", content_hash, limits), raw


def load_path(
    path: str | Path, options: ReadOptions = ReadOptions(), limits: Limits = DEFAULT.limits
) -> Dataset:
    """Load a local file (CLI, benchmarks) without copying it into memory first.

    The byte limit is for uploads through the browser; local files are bounded by rows and columns.
    """
    path = Path(path)
    if not path.is_file():
        raise DataLoadError(f"There is no file at '{path}'.", "Check the path and try again.")
    raw = read_table(path, options)
    content_hash = _hash_file(path, raw.sheet or "", str(options.drop_bad_rows))
    return _finish(raw, path.name, f"file: {path.name}", content_hash, limits)


def _finish(raw: RawTable, name: str, source: str, content_hash: str, limits: Limits) -> Dataset:
    rows, cols = raw.frame.shape
    if rows > limits.max_rows or cols > limits.max_columns:
        raise LimitExceededError(
            f"The table has {rows:,} rows × {cols:,} columns; the limit is "
            f"{limits.max_rows:,} rows × {limits.max_columns:,} columns.",
            "Upload a sample of the rows, or drop columns you do not need.",
        )
    frame, tidy_notes, changed, coerced = tidy_frame(raw.frame)
    names = list(frame.columns)
    known = {names[i]: counts for i, counts in raw.counts.items() if names[i] not in changed}
    return build_dataset(
        frame,
        name=name,
        source=source,
        content_hash=content_hash,
        notes=raw.notes + tidy_notes,
        known_counts=known,
        read_info=raw.info,
        coerced_cells=coerced,
    )


def _check_size(n_bytes: int, limits: Limits) -> None:
    if n_bytes > limits.max_bytes:
        raise LimitExceededError(
            f"The file is {n_bytes / 2**20:,.0f} MB; the limit is {limits.max_bytes / 2**20:,.0f} MB.",
            "Upload a sample of the rows, or a compressed format such as Parquet.",
        )


def _hash_file(path: Path, *extra: str) -> str:
    digest = xxhash.xxh3_128()
    with open(path, "rb") as handle:
        while chunk := handle.read(8 * 2**20):
            digest.update(chunk)
    for part in extra:
        digest.update(part.encode())
    return digest.hexdigest()
