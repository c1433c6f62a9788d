"""Writes that never leave a half-written file, and a lock for read-modify-write of shared files.

A server killed at any moment (`kill -9`, a full disk) leaves each file either as it was or as it
was meant to be: every write goes to a temporary file in the same folder and replaces the old one
with `os.replace`, which is atomic on POSIX. Several processes (the app's sessions share one; the
CLI and workers are others) take `locked` around changes to the same file.
"""

from __future__ import annotations

import errno
import fcntl
import json
import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from mlcore.errors import MLCoreError


class StoreError(MLCoreError):
    """The workbench home could not be read or written (a full disk, no permission)."""


def write_bytes(path: Path, data: bytes) -> None:
    """Replace `path` with `data` in one step: readers see the old file or the new one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, path)
    except OSError as exc:
        Path(temporary).unlink(missing_ok=True)
        raise store_error(exc, path) from None


def write_json(path: Path, value: Any) -> None:
    write_bytes(path, json.dumps(value, indent=1, sort_keys=True, allow_nan=True).encode())


def read_json(path: Path) -> Any:
    return json.loads(path.read_bytes())


@contextmanager
def locked(path: Path) -> Iterator[None]:
    """Hold an exclusive lock on `path` (a lock file beside what it guards) across processes."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def folder_bytes(folder: Path) -> int:
    """What a folder takes on disk, in bytes (0 when it does not exist)."""
    if not folder.exists():
        return 0
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())


def remove_folder(folder: Path) -> None:
    shutil.rmtree(folder, ignore_errors=True)


def store_error(exc: OSError, path: Path) -> StoreError:
    """A plain message for a failed write: the disk is full, or the folder is not writable."""
    if exc.errno == errno.ENOSPC:
        return StoreError(
            f"The disk holding the workbench's files is full, so '{path.name}' was not saved.",
            "Free some space (or delete old projects), then try again: nothing was changed.",
        )
    return StoreError(
        f"The workbench could not write '{path.name}' ({exc.strerror or exc}).",
        "Check that the workbench home folder (MLCORE_HOME) exists and can be written.",
    )
