"""Files larger than memory as a `Dataset`: an uploaded file is written to a private temporary folder
(DuckDB scans files, not bytes), summarised on every row and sampled; a local file is scanned where
it lies. The statistics of a first scan can be passed back in, so a new sample size costs one
sampling pass, not a second scan."""

from __future__ import annotations

import tempfile
from pathlib import Path

from mlcore.data.large_tables import load_large, too_large
from mlcore.data.loading import load_path
from mlcore.data.readers import ReadOptions
from mlcore.dataset import Dataset
from mlcore.origin import WholeTable
from mlcore.settings import DEFAULT, Limits


def load_bytes_sampled(
    data: bytes,
    filename: str,
    *,
    sample_rows: int | None = None,
    seed: int = 0,
    whole: WholeTable | None = None,
    limits: Limits = DEFAULT.limits,
) -> Dataset:
    """An upload too large to read whole: statistics of every row, and a uniform sample to work on."""
    with tempfile.TemporaryDirectory(prefix="mlcore-upload-") as folder:
        path = Path(folder) / "table"
        path.write_bytes(data)
        return load_large(
            path,
            filename,
            f"upload: {filename}",
            sample_rows=sample_rows,
            seed=seed,
            limits=limits,
            whole=whole,
        )


def load_path_any_size(
    path: str | Path,
    options: ReadOptions = ReadOptions(),
    *,
    sample_rows: int | None = None,
    seed: int = 0,
    limits: Limits = DEFAULT.limits,
) -> Dataset:
    """A local file read whole when it fits, else summarised and sampled (or sampled when asked)."""
    path = Path(path)
    if sample_rows is None and not (path.is_file() and too_large(path, limits)):
        return load_path(path, options, limits)
    return load_large(
        path, path.name, f"file: {path.name}", sample_rows=sample_rows, seed=seed, limits=limits
    )
