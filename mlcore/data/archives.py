"""Zip archives from users (Excel workbooks, `.skops` models, bundles) checked before any member is read.

A zip says how large each member is once inflated. A 1 MB file can claim (or really hold) gigabytes:
every archive we open is refused when its members together would inflate beyond a limit, or when it
holds more members than any file we write would. The sizes are read from the central directory
(zipfile itself never inflates a member beyond the size its header gives).
"""

from __future__ import annotations

import zipfile

from mlcore.errors import LimitExceededError

MAX_MEMBERS = 10_000


def check_archive(archive: zipfile.ZipFile, max_total_bytes: int, what: str) -> int:
    """The summed inflated size of the archive's members; raise if it (or their number) is too large."""
    infos = archive.infolist()
    if len(infos) > MAX_MEMBERS:
        raise LimitExceededError(
            f"The {what} holds {len(infos):,} files; the limit is {MAX_MEMBERS:,}.",
            "This is not a file the workbench wrote or reads; check that you picked the right one.",
        )
    total = sum(info.file_size for info in infos)
    if total > max_total_bytes:
        raise LimitExceededError(
            f"The {what} would inflate to {total / 2**20:,.0f} MB when unpacked; the limit is "
            f"{max_total_bytes / 2**20:,.0f} MB.",
            "Compressed files that unpack to far more than their size are refused: use a smaller file.",
        )
    return total


def read_member(archive: zipfile.ZipFile, name: str, limit: int, what: str) -> bytes:
    """One member's bytes, refused when its header gives more than `limit` (zipfile inflates no further)."""
    info = archive.getinfo(name)
    if info.file_size > limit:
        raise LimitExceededError(
            f"'{name}' in the {what} is {info.file_size / 2**20:,.1f} MB; the limit is "
            f"{limit / 2**20:,.1f} MB.",
            "Use a smaller file.",
        )
    return archive.read(info)
