"""Limits and presets in typed objects, so the app, the CLI and tests agree on them.

`Limits` bound what any input may cost. Each stage's *budget* (`mlcore/<stage>/budget.py`) holds the
sample sizes and caps that trade time for precision, with one value per named preset: `standard`
(what the app and the CLI use unless told otherwise), `classroom` (lighter, so that a class of thirty
shares one server) and `thorough` (one analyst on their own machine). The preset is chosen once per
process, before the stages are imported, by the `MLCORE_PRESET` environment variable (or `mlcore
--preset`), so that a server, its background workers and every session use the same numbers.

`JobLimits` bound the background jobs of a process: how many worker processes run at once and the
memory each may take, from `MLCORE_MAX_JOBS` and `MLCORE_JOB_MEMORY_MB` or from the machine.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TypeVar

from mlcore.compute.machine import available_memory, total_memory, usable_cores
from mlcore.errors import LimitExceededError, SettingsError
from mlcore.formatting import plural

PRESETS = ("standard", "classroom", "thorough")
PRESET_VARIABLE = "MLCORE_PRESET"
MAX_JOBS_VARIABLE = "MLCORE_MAX_JOBS"
JOB_MEMORY_VARIABLE = "MLCORE_JOB_MEMORY_MB"
TYPICAL_JOB_MB = 1024  # what one job commonly takes: fewer run at once where memory would not hold that
T = TypeVar("T")


def preset() -> str:
    """This process's preset: `MLCORE_PRESET`, or `standard` when it is unset or empty."""
    name = os.environ.get(PRESET_VARIABLE, "").strip() or PRESETS[0]
    if name not in PRESETS:
        raise SettingsError(
            f"{PRESET_VARIABLE} is {name!r}, which is not a preset.",
            f"Use one of: {', '.join(PRESETS)} (or leave it unset for {PRESETS[0]}).",
        )
    return name


def for_preset(budgets: Mapping[str, T]) -> T:
    """A stage's budget under this process's preset (every stage names a budget for each preset)."""
    missing = set(PRESETS) - set(budgets)
    if missing:
        raise ValueError(f"no budget for the preset(s) {sorted(missing)}")
    return budgets[preset()]


MEMORY_VARIABLE = "MLCORE_MEMORY_LIMIT_MB"
DEFAULT_MEMORY_MB = 1024
MIN_MEMORY_MB = 16


def memory_limit_from_env(*, strict: bool = True) -> int:
    """The in-memory limit for one table, in bytes: `MLCORE_MEMORY_LIMIT_MB` (a laptop shared by a
    class may want less than the 1 GB default). Tables above it are summarised by DuckDB and sampled.
    Not `strict` (at import, before the command line or the app can say so plainly): a mistyped value
    gives the default, and the command line and the app then report it through a strict call."""
    text = os.environ.get(MEMORY_VARIABLE, "").strip()
    valid = text.isdigit() and int(text) >= MIN_MEMORY_MB
    if not text or (not valid and not strict):
        return DEFAULT_MEMORY_MB * 2**20
    if not valid:
        raise SettingsError(
            f"{MEMORY_VARIABLE} is {text!r}, which is not a number of megabytes of at least {MIN_MEMORY_MB}.",
            f"Set it to a whole number such as 512, or leave it unset for {DEFAULT_MEMORY_MB}.",
        )
    return int(text) * 2**20


@dataclass(frozen=True)
class JobLimits:
    """How many worker processes run at once, and the memory (MB) each may take beyond what it
    inherits; None is no bound."""

    max_running: int | None
    memory_mb: int | None


def job_limits(shared: bool = True) -> JobLimits:
    """This process's job limits: `MLCORE_MAX_JOBS` and `MLCORE_JOB_MEMORY_MB` where set.

    A `shared` process (the app's server) defaults to one job per core, fewer where the memory
    available now would not hold `TYPICAL_JOB_MB` for each, and gives each job an equal share of the
    total memory. A process of one user (the CLI) defaults to no bound, as it had before: its user
    chose how many workers to run.
    """
    running = _positive(MAX_JOBS_VARIABLE, 4, "one job per core")
    memory = _positive(JOB_MEMORY_VARIABLE, 2048, "an equal share of the memory for each job")
    if not shared:
        return JobLimits(running, memory)
    running = running or max(1, min(usable_cores(), available_memory() // (TYPICAL_JOB_MB << 20)))
    return JobLimits(running, memory or (total_memory() >> 20) // running)


def _positive(variable: str, example: int, default: str) -> int | None:
    """The whole number above zero in `variable`, or None when it is unset or empty."""
    text = os.environ.get(variable, "").strip()
    if not text:
        return None
    value = int(text) if text.isascii() and text.isdigit() else 0
    if value == 0:
        raise SettingsError(
            f"{variable} is {text!r}, which is not a whole number above zero.",
            f"Set it to a number such as {example}, or leave it unset for {default}.",
        )
    return value


@dataclass(frozen=True)
class Limits:
    """Upper bounds on what we load; larger inputs get a clear error instead of a frozen browser.

    They bound memory, not only shape: one server holds the tables of a whole class (24 GB for twenty
    sessions or so), and training copies a table a few times over. Each reader checks them from the
    file's metadata before it reads (a Parquet footer, a sheet's dimension, the size of a text file),
    and again from what it really holds while and after reading.
    """

    max_bytes: int = 200 * 1024 * 1024  # an upload; matches `maxUploadSize` in .streamlit/config.toml
    max_rows: int = 5_000_000
    max_columns: int = 2_000
    max_cells: int = 50_000_000  # rows × columns: 400 MB as 64-bit numbers
    # what the table may take in memory while it is read (MLCORE_MEMORY_LIMIT_MB for a smaller server)
    max_memory_bytes: int = field(default_factory=lambda: memory_limit_from_env(strict=False))
    max_sheet_cells: int = 2_000_000  # Excel is parsed cell by cell in Python: about 10 µs a cell
    max_workbook_bytes: int = 128 * 1024 * 1024  # an Excel file's parts once unzipped

    def check_upload(self, n_bytes: int) -> None:
        """Refuse an upload larger than `max_bytes` (local files are bounded by the other limits)."""
        if n_bytes > self.max_bytes:
            raise LimitExceededError(
                f"The file is {n_bytes / 2**20:,.0f} MB; the limit is {self.max_bytes / 2**20:,.0f} MB.",
                "Upload a sample of the rows, or a compressed format such as Parquet.",
            )

    def check_table(self, rows: int, columns: int, *, at_least: bool = False) -> None:
        """Refuse a table with more rows, columns or cells than allowed (`at_least`: counted so far)."""
        cells = rows * columns
        if rows > self.max_rows or columns > self.max_columns or cells > self.max_cells:
            raise LimitExceededError(
                f"The table has {_shape(rows, columns, cells, at_least)}; the limit is "
                f"{self.max_rows:,} rows, {self.max_columns:,} columns and {self.max_cells:,} cells.",
                "Upload a sample of the rows, or drop columns you do not need.",
            )

    def check_sheet(self, rows: int, columns: int, *, at_least: bool = False) -> None:
        """`check_table`, and the tighter cell limit of Excel sheets, whose parsing is slow."""
        self.check_table(rows, columns, at_least=at_least)
        cells = rows * columns
        if cells > self.max_sheet_cells:
            raise LimitExceededError(
                f"The sheet has {_shape(rows, columns, cells, at_least)}; Excel sheets are read up to "
                f"{self.max_sheet_cells:,} cells.",
                "A workbook takes far longer to read than a CSV file: save the sheet as CSV and upload that, "
                "or upload a sample of the rows.",
            )

    def check_memory(self, n_bytes: int) -> None:
        """Refuse a read that would hold more than `max_memory_bytes` (an estimate, or what is held)."""
        if n_bytes > self.max_memory_bytes:
            raise LimitExceededError(
                f"Reading this file would take about {n_bytes / 2**20:,.0f} MB of memory; the limit is "
                f"{self.max_memory_bytes / 2**20:,.0f} MB.",
                "Upload a sample of the rows or fewer columns, as CSV or Parquet.",
            )


def _shape(rows: int, columns: int, cells: int, at_least: bool) -> str:
    prefix = "at least " if at_least else ""
    return f"{prefix}{plural(rows, 'row')} × {plural(columns, 'column')} ({plural(cells, 'cell')})"


@dataclass(frozen=True)
class Settings:
    """App-wide settings; `DEFAULT` is what the app and the CLI use unless told otherwise."""

    limits: Limits = Limits()
    preview_rows: int = 100
    database_row_limit: int = 100_000  # the most rows a database read returns unless told otherwise


DEFAULT = Settings()
