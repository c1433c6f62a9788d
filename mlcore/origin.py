"""Where a dataset's rows came from when that is more than a file read whole.

A database query is remembered so the project can run it again (never with its password), and a
table larger than memory keeps the statistics computed on every row beside the uniform sample the
app works on, so pages and the model card can say which numbers describe which rows.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any


@dataclass(frozen=True)
class ColumnSummary:
    """One column's statistics over every row (what DuckDB's SUMMARIZE gives, plus the top values)."""

    name: str
    dtype: str  # the engine's type name (BIGINT, DOUBLE, VARCHAR, TIMESTAMP, ...)
    count: int  # values present
    missing: int
    distinct: int  # approximate above a few thousand values (HyperLogLog)
    min: str | None = None  # as text: numbers, dates and words alike
    max: str | None = None
    mean: float | None = None  # numbers only
    std: float | None = None
    q25: float | None = None  # approximate quartiles (t-digest)
    q50: float | None = None
    q75: float | None = None
    top: tuple[tuple[str, int], ...] = ()  # the most frequent values of a text column, with counts


@dataclass(frozen=True)
class WholeTable:
    """Statistics of a whole table computed where it lies (DuckDB), not from the rows in memory."""

    rows: int
    columns: tuple[ColumnSummary, ...]
    seconds: float  # how long the scan took
    engine: str  # "DuckDB 1.2.3"


@dataclass(frozen=True)
class Origin:
    """A database read or a sample of a large table, as data: enough to repeat it and to state it."""

    location: str  # a database URL without its password, or a file's name
    table: str = ""  # the table read ("" for a query)
    query: str = ""  # the SELECT read ("" for a table or a file)
    password_env: str = ""  # the environment variable holding the password ("": typed in the session)
    read_at: str = ""  # when it was read (ISO 8601, UTC)
    row_limit: int | None = None  # the most rows the query could return
    total_rows: int | None = None  # rows in the whole source (None: not counted)
    sampled_rows: int | None = None  # rows of the uniform sample kept (None: no sample)
    sample_seed: int | None = None
    whole: WholeTable | None = None  # statistics of every row (a table larger than memory)

    @property
    def is_sample(self) -> bool:
        return self.sampled_rows is not None

    def sentence(self) -> str:
        """What the rows in memory are, in one sentence for the page and the model card."""
        what = f"table {self.table}" if self.table else ("a query" if self.query else self.location)
        read = f"Read from {what}" + (f" of {self.location}" if what != self.location else "")
        if self.is_sample and self.total_rows is not None:
            return (
                f"{read}: a uniform random sample of {self.sampled_rows:,} of its {self.total_rows:,} rows "
                f"(seed {self.sample_seed}); statistics of every row were computed by "
                f"{self.whole.engine if self.whole else 'the database'}."
            )
        limit = f", at most {self.row_limit:,} rows" if self.row_limit else ""
        when = f", at {self.read_at[:16].replace('T', ' ')} UTC" if self.read_at else ""
        return f"{read}{limit}{when}."

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Origin:
        """Back from `to_dict` (a project file): unknown keys are refused by the constructor."""
        values = dict(data)
        whole = values.pop("whole", None)
        if whole is not None:
            whole = dict(whole)
            columns = tuple(
                ColumnSummary(**{**c, "top": tuple((str(v), int(n)) for v, n in c.get("top", ()))})
                for c in whole.pop("columns")
            )
            whole = WholeTable(columns=columns, **whole)
        return cls(whole=whole, **values)
