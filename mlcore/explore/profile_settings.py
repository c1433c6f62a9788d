"""What the full profile report covers (sampling, preset, time budget): light, so the command line can
show the defaults in `--help` without importing pandas or ydata-profiling."""

from __future__ import annotations

from dataclasses import dataclass

from mlcore.errors import MLCoreError


class ProfileError(MLCoreError):
    """The full report could not be built."""


@dataclass(frozen=True)
class ProfileSettings:
    """When the report samples rows and when it switches to the minimal preset."""

    max_rows: int = 10_000  # larger tables are profiled on a uniform sample of this many rows
    minimal_above_columns: int = 30  # wider tables use ydata-profiling's minimal preset
    seed: int = 0
    time_budget: float = 900.0  # seconds before the worker is stopped

    def __post_init__(self) -> None:
        if self.max_rows < 1:
            raise ProfileError("The report needs at least one row.", "Set the row limit to 1 or more.")
        if self.minimal_above_columns < 0:
            raise ProfileError("The column threshold cannot be negative.", "Use 0 to always use minimal.")
