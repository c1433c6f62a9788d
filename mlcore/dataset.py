"""The `Dataset`: a frame with its schema, target and task, and the operations that change them.

A Dataset is immutable: every change returns a new one sharing the same frame, so a page rerun
can never half-apply an edit and a run can keep the exact dataset it was trained on.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import pandas as pd
import xxhash

from mlcore.errors import SchemaError, TargetError
from mlcore.readers import PLAIN_CSV, ReadInfo
from mlcore.schema import (
    ColumnInfo,
    ColumnType,
    Counts,
    Role,
    Task,
    infer_columns,
    infer_task,
    validate_target,
)

TARGET_NAMES = ("target", "label", "class", "y", "outcome")


@dataclass(frozen=True)
class Dataset:
    """A loaded table and everything we know or were told about it."""

    name: str
    source: str
    frame: pd.DataFrame
    content_hash: str
    columns: tuple[ColumnInfo, ...]
    target: str | None = None
    task: Task | None = None
    task_rule: str = ""
    notes: tuple[str, ...] = ()
    description: str = ""
    read_info: ReadInfo = PLAIN_CSV  # how the file was read (tables with no file: as plain CSV)
    # (column, count) for the non-numeric cells read as missing when a text column became numbers
    coerced_cells: tuple[tuple[str, int], ...] = ()

    @property
    def n_rows(self) -> int:
        return len(self.frame)

    @property
    def n_columns(self) -> int:
        return self.frame.shape[1]

    def column(self, name: str) -> ColumnInfo:
        for info in self.columns:
            if info.name == name:
                return info
        raise SchemaError(f"There is no column named '{name}'.", "Check the spelling of the column name.")

    @property
    def features(self) -> list[str]:
        """Columns used as model inputs."""
        return [c.name for c in self.columns if c.role is Role.FEATURE]

    def schema_table(self) -> pd.DataFrame:
        """The schema as a small frame for display."""
        return pd.DataFrame(
            {
                "column": [c.name for c in self.columns],
                "type": [c.ctype.value for c in self.columns],
                "role": [c.role.value for c in self.columns],
                "dtype": [c.dtype for c in self.columns],
                "missing": [c.n_missing for c in self.columns],
                "distinct": [c.n_unique for c in self.columns],
                "why this type": [c.reason for c in self.columns],
            }
        )


def hash_bytes(data: bytes, *extra: str) -> str:
    """A short content hash: the same bytes (and options) always give the same dataset id.

    xxh3-128 hashes at memory speed, so identifying a 300 MB file costs milliseconds, not a second.
    """
    digest = xxhash.xxh3_128(data)
    for part in extra:
        digest.update(part.encode())
    return digest.hexdigest()


def hash_frame(frame: pd.DataFrame) -> str:
    """A content hash for frames we build ourselves (samples, generators)."""
    digest = xxhash.xxh3_128(pd.util.hash_pandas_object(frame, index=False).to_numpy().tobytes())
    digest.update("\x1f".join(map(str, frame.columns)).encode())
    return digest.hexdigest()


def build_dataset(
    frame: pd.DataFrame,
    *,
    name: str,
    source: str,
    content_hash: str,
    notes: list[str] | tuple[str, ...] = (),
    target: str | None = None,
    description: str = "",
    known_counts: dict[str, Counts] | None = None,
    read_info: ReadInfo = PLAIN_CSV,
    coerced_cells: dict[str, int] | None = None,
) -> Dataset:
    """Infer the schema and choose a target: the given one, or a column named like a target."""
    columns = infer_columns(frame, known_counts)
    dataset = Dataset(
        name,
        source,
        frame,
        content_hash,
        columns,
        notes=tuple(notes),
        description=description,
        read_info=read_info,
        coerced_cells=tuple((coerced_cells or {}).items()),
    )
    if target is not None:
        return set_target(dataset, target)
    by_name = {str(c).lower(): str(c) for c in frame.columns}
    guess = next((by_name[n] for n in TARGET_NAMES if n in by_name), None)
    if guess is None:
        return dataset
    try:
        return set_target(dataset, str(guess))
    except TargetError as exc:
        return replace(
            dataset, notes=(*dataset.notes, f"'{guess}' was not chosen as the target: {exc.message}")
        )


def set_target(dataset: Dataset, name: str | None, task: Task | None = None) -> Dataset:
    """Make `name` the target (the previous target becomes a feature again), inferring the task."""
    if name is None:
        columns = tuple(_as_feature(c) if c.role is Role.TARGET else c for c in dataset.columns)
        return replace(dataset, columns=columns, target=None, task=None, task_rule="")
    info = dataset.column(name)
    inferred, rule = infer_task(dataset.frame[name], info.n_unique)
    chosen = task or inferred
    validate_target(dataset.frame[name], chosen, info.n_unique)
    if task is not None and task is not inferred:
        rule = f"{rule}; you chose {task.value}"
    columns = tuple(
        replace(c, role=Role.TARGET)
        if c.name == info.name
        else (_as_feature(c) if c.role is Role.TARGET else c)
        for c in dataset.columns
    )
    return replace(dataset, columns=columns, target=name, task=chosen, task_rule=rule)


def _as_feature(info: ColumnInfo) -> ColumnInfo:
    role = Role.IGNORE if info.ctype is ColumnType.IDENTIFIER else Role.FEATURE
    return replace(info, role=role)


def set_task(dataset: Dataset, task: Task) -> Dataset:
    """Override the inferred task; the target is validated for the new task."""
    if dataset.target is None:
        raise SchemaError(
            "Choose a target column before choosing the task.", "Pick the column to predict first."
        )
    return set_target(dataset, dataset.target, task)


def set_role(dataset: Dataset, name: str, role: Role) -> Dataset:
    """Use a column as a feature or ignore it; making it the target goes through `set_target`."""
    if role is Role.TARGET:
        return set_target(dataset, name)
    info = dataset.column(name)
    if info.role is Role.TARGET:
        dataset = set_target(dataset, None)
    columns = tuple(replace(c, role=role) if c.name == name else c for c in dataset.columns)
    return replace(dataset, columns=columns)


def set_type(dataset: Dataset, name: str, ctype: ColumnType) -> Dataset:
    """Override a column's type, refusing types its values cannot have."""
    info = dataset.column(name)
    column = dataset.frame[name]
    if ctype is ColumnType.NUMERIC and not pd.api.types.is_numeric_dtype(column.dtype):
        raise SchemaError(
            f"'{name}' holds text, so it cannot be treated as numbers.",
            "Keep it categorical, or fix the values in the file.",
        )
    if ctype is ColumnType.DATETIME and not pd.api.types.is_datetime64_any_dtype(column.dtype):
        raise SchemaError(
            f"'{name}' was not read as dates.", "Write the dates as YYYY-MM-DD in the file and load it again."
        )
    role = info.role
    if ctype is ColumnType.IDENTIFIER and role is Role.FEATURE:
        role = Role.IGNORE
    elif info.ctype is ColumnType.IDENTIFIER and role is Role.IGNORE:
        role = Role.FEATURE
    updated = replace(info, ctype=ctype, role=role, reason=f"set by you (was {info.ctype.value})")
    columns = tuple(updated if c.name == name else c for c in dataset.columns)
    return replace(dataset, columns=columns)
