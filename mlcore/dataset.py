"""The `Dataset`: a frame with its schema, target and task, and the operations that change them.

A Dataset is immutable: every change returns a new one sharing the same frame, so a page rerun
can never half-apply an edit and a run can keep the exact dataset it was trained on.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from enum import StrEnum

import pandas as pd
import xxhash

from mlcore.errors import SchemaError, TargetError
from mlcore.origin import Origin
from mlcore.schema import (
    MAX_CLASSES_FOR_INTEGER_TARGET,
    ColumnInfo,
    ColumnType,
    Counts,
    Role,
    Task,
    infer_columns,
    infer_task,
    validate_target,
)

TARGET_NAMES = ("target", "label", "class", "outcome")  # names that say "the answer" in any table
Y_NAME = "y"  # the answer in y = f(x1, x2, …), but one of three coordinates beside x and z
COORDINATE_NAMES = ("x", "z")
OFTEN_PREDICTED = (  # names of what people usually predict: offered first, never chosen on their own
    "price",
    "sales",
    "revenue",
    "cost",
    "salary",
    "income",
    "score",
    "rating",
    "grade",
    "quality",
    "churn",
    "survived",
    "default",
    "diagnosis",
    "species",
    "status",
    "result",
)
MAX_TARGET_CANDIDATES = 5
CANDIDATE_MARK = "★"  # how a likely target is marked where columns are listed
NOT_TARGETS = (ColumnType.IDENTIFIER, ColumnType.TEXT, ColumnType.DATETIME)
EXAMPLE_DATE = "05/02/2024"
READ_AS = {True: ("day first", "5 February 2024"), False: ("month first", "2 May 2024")}  # EXAMPLE_DATE


class FileFormat(StrEnum):
    """The table formats we read."""

    DELIMITED = "delimited text"
    EXCEL = "Excel workbook"
    PARQUET = "Parquet"
    JSON = "JSON"


@dataclass(frozen=True)
class ReadInfo:
    """How the file was read, as data: what the notes tell the user, for code that must act on it."""

    file_format: FileFormat = FileFormat.DELIMITED
    delimiter: str = ","
    decimal: str = "."
    encoding: str = "utf-8"  # the encoding the text was decoded with
    sheet: str | None = None  # the Excel sheet read
    dropped_rows: int = 0  # rows left out for having the wrong number of fields
    # text columns read as numbers written with thousands separators (1,234; 1.234 with decimal commas)
    thousands_columns: tuple[str, ...] = ()
    # date columns such as 05/02/2024 whose values do not confirm the order used (`day_first`): no
    # value shows whether the day or the month comes first, or some contradict it
    ambiguous_dates: tuple[str, ...] = ()
    day_first: bool = False  # the order used for dates such as 05/02/2024 (False when there are none)


PLAIN_CSV = ReadInfo()  # a UTF-8, comma-separated file read as it is


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
    origin: Origin | None = None  # a database read or a sample of a large table (None: a file read whole)

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
    origin: Origin | None = None,
) -> Dataset:
    """Infer the schema and choose a target: the given one, or the one `guess_target` is sure of."""
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
        origin=origin,
    )
    if target is not None:
        return set_target(dataset, target)
    guess = guess_target(dataset).column
    if guess is None:
        return dataset
    try:
        return set_target(dataset, guess)
    except TargetError as exc:
        return replace(
            dataset, notes=(*dataset.notes, f"'{guess}' was not chosen as the target: {exc.message}")
        )


def derived(dataset: Dataset, frame: pd.DataFrame, name: str, source: str) -> Dataset:
    """A new version of `dataset` holding `frame` (rows added, a column added): the columns it had
    keep the types, roles and target chosen for them, new columns are typed as a load types them, and
    the content hash is the new table's."""
    chosen = {c.name: c for c in dataset.columns}
    columns = tuple(
        replace(info, ctype=old.ctype, role=old.role, reason=old.reason)
        if (old := chosen.get(info.name))
        else info
        for info in infer_columns(frame)
    )
    same_rows = len(frame) == dataset.n_rows  # a column added: still the rows the origin describes
    return replace(
        dataset,
        name=name,
        source=source,
        frame=frame,
        content_hash=hash_frame(frame),
        columns=columns,
        origin=dataset.origin if same_rows else None,
    )


def with_column(dataset: Dataset, name: str, values: pd.Series, ctype: ColumnType, about: str) -> Dataset:
    """A new version of `dataset` with a column added as a feature (a cluster label, an anomaly score
    that supervised training can then use); `about` says where it came from."""
    if not name.strip() or name != name.strip():
        raise SchemaError(
            "A column needs a name without spaces at its ends.", "Type a name for the new column."
        )
    if name in {str(c) for c in dataset.frame.columns}:
        raise SchemaError(
            f"There is already a column named '{name}'.", "Choose another name for the new column."
        )
    if len(values) != dataset.n_rows:
        raise SchemaError(
            f"The new column has {len(values):,} values for {dataset.n_rows:,} rows.",
            "Compute it on every row.",
        )
    frame = dataset.frame.copy(deep=False)
    frame[name] = pd.Series(values).to_numpy()
    added = derived(dataset, frame, f"{dataset.name} + {name}", f"{dataset.source} + {about}")
    return set_role(set_type(added, name, ctype), name, Role.FEATURE)


@dataclass(frozen=True)
class TargetGuess:
    """The column chosen as the target when a table is loaded (None: we ask instead), and why."""

    column: str | None
    why: str


@dataclass(frozen=True)
class TargetCandidate:
    """A column that may well be the target, and what suggests it."""

    column: str
    reason: str


def guess_target(dataset: Dataset) -> TargetGuess:
    """Choose a target only when its name leaves no doubt.

    The rule: the one column named `target`, `label`, `class` or `outcome` (any case); if there is
    none, a column named `y`, unless a column named `x` or `z` sits beside it (then `y` may be a
    coordinate or a size, as in diamonds' x, y, z). Two columns named like a target, or none, is
    ambiguous: nothing is chosen and the user picks, with `target_candidates` offered first.
    """
    named = _named_like_target(dataset)
    if len(named) == 1:
        return TargetGuess(named[0], f"guessed from its name: '{named[0]}' is named like a target")
    if named:
        both = "both" if len(named) == 2 else "all"
        return TargetGuess(None, f"{_quoted(named)} are {both} named like a target")
    y, siblings = _y_and_coordinates(dataset)
    if y is None:
        return TargetGuess(None, "no column is named like a target")
    if siblings:
        return TargetGuess(
            None,
            f"'{y}' sits beside {_quoted(siblings)}, so it may be a coordinate or a size rather than what "
            "to predict",
        )
    return TargetGuess(y, f"guessed from its name: '{y}' is the usual name for what to predict")


def target_candidates(dataset: Dataset) -> list[TargetCandidate]:
    """Likely targets, most likely first: named like a target, a name often predicted, the last
    column (where tables tend to keep the answer), then label columns with a few classes."""
    usable = [c for c in dataset.columns if c.ctype not in NOT_TARGETS and c.n_unique != 1]
    names = {c.name for c in usable}
    ranked: dict[str, str] = {}
    for name in _named_like_target(dataset):
        ranked.setdefault(name, "named like a target")
    y, siblings = _y_and_coordinates(dataset)
    if y is not None and not siblings:
        ranked.setdefault(y, "named y, the usual name for what to predict")
    for info in usable:
        if info.name.lower() in OFTEN_PREDICTED:
            ranked.setdefault(info.name, "a name often predicted")
    if dataset.columns and dataset.columns[-1].name in names:
        ranked.setdefault(dataset.columns[-1].name, "the last column, where tables often keep the answer")
    for info in usable:
        few = info.n_unique is not None and 2 <= info.n_unique <= MAX_CLASSES_FOR_INTEGER_TARGET
        if few and info.ctype in (ColumnType.CATEGORICAL, ColumnType.BOOLEAN):
            ranked.setdefault(info.name, f"{info.n_unique} classes")
    return [TargetCandidate(n, why) for n, why in ranked.items() if n in names][:MAX_TARGET_CANDIDATES]


def target_note(dataset: Dataset) -> str | None:
    """What to say beside the target choice: a guessed target stated as a guess, or why none was
    guessed (a guess refused for its values has its own note in `Dataset.notes`)."""
    guess = guess_target(dataset)
    if dataset.target is None and guess.column is None:
        marked = f"; likely ones are marked {CANDIDATE_MARK}" if target_candidates(dataset) else ""
        return f"No target was chosen: {guess.why}. Pick the column to predict{marked}."
    if dataset.target is not None and dataset.target == guess.column:
        return f"The target was {guess.why}. Pick another column if that is not what you want to predict."
    return None


@dataclass(frozen=True)
class DateOrderChoice:
    """Dates that read either way (05/02/2024): the order they were read in, and the other to offer."""

    note: str
    day_first: bool  # the order to load the file again with
    label: str


def date_order_choice(dataset: Dataset) -> DateOrderChoice | None:
    """The question to ask when some date columns' values do not show whether the day or the month
    comes first (`ReadInfo.ambiguous_dates`); None when every date column shows its order."""
    info = dataset.read_info
    if not info.ambiguous_dates:
        return None
    (order, example), (other, other_example) = READ_AS[info.day_first], READ_AS[not info.day_first]
    columns = _quoted(list(info.ambiguous_dates))
    return DateOrderChoice(
        f"Dates such as {EXAMPLE_DATE} in {columns} were read {order} (as {example}).",
        day_first=not info.day_first,
        label=f"Load again, reading them {other} ({other_example})",
    )


def _y_and_coordinates(dataset: Dataset) -> tuple[str | None, list[str]]:
    """The column named y (any case), and the columns named x or z beside it."""
    names = [c.name for c in dataset.columns]
    y = next((n for n in names if n.lower() == Y_NAME), None)
    return y, [n for n in names if n.lower() in COORDINATE_NAMES] if y is not None else []


def _quoted(names: list[str]) -> str:
    """'a', 'a' and 'b', 'a', 'b' and 'c'."""
    quoted = [f"'{n}'" for n in names]
    return quoted[0] if len(quoted) == 1 else ", ".join(quoted[:-1]) + " and " + quoted[-1]


def _named_like_target(dataset: Dataset) -> list[str]:
    return [c.name for c in dataset.columns if c.name.lower() in TARGET_NAMES]


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
