"""Turn the bytes of an uploaded (or local) file into a raw DataFrame.

Delimited UTF-8 text takes pyarrow's multi-threaded reader; anything that needs a decimal comma or
a legacy encoding goes through pandas. Every failure becomes a typed `mlcore` error that says what
is wrong with the file and what to do.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from mlcore.columns import clean_column_names
from mlcore.errors import DataLoadError, EmptyFileError, MalformedTableError
from mlcore.sniff import HEAD_BYTES, FileFormat, TextDialect, detect_format, sniff_dialect

Source = bytes | Path

NULL_TOKENS = ["", "NA", "N/A", "n/a", "NaN", "nan", "NULL", "null", "None", "#N/A", "-nan", "-NaN"]


@dataclass(frozen=True)
class ReadOptions:
    """Choices the user can make about how a file is read."""

    sheet: str | None = None
    drop_bad_rows: bool = False


@dataclass(frozen=True)
class ReadInfo:
    """How the file was read, as data: what the notes tell the user, for code that must act on it."""

    file_format: FileFormat = FileFormat.DELIMITED
    delimiter: str = ","
    decimal: str = "."
    encoding: str = "utf-8"  # the encoding the text was decoded with
    sheet: str | None = None  # the Excel sheet read
    dropped_rows: int = 0  # rows left out for having the wrong number of fields


PLAIN_CSV = ReadInfo()  # a UTF-8, comma-separated file read as it is


@dataclass
class RawTable:
    """A frame straight from the file plus what we noticed while reading it."""

    frame: pd.DataFrame
    info: ReadInfo
    notes: list[str] = field(default_factory=list)
    sheets: list[str] = field(default_factory=list)
    # (missing, distinct) per column position, where the reader got them for free (Arrow text columns)
    counts: dict[int, tuple[int, int]] = field(default_factory=dict)

    @property
    def sheet(self) -> str | None:
        return self.info.sheet


class RaggedRowsError(MalformedTableError):
    """Some rows have a different number of fields than the header; lists their line numbers."""

    def __init__(self, bad_lines: list[int], expected: int) -> None:
        shown = ", ".join(str(n) for n in bad_lines[:10]) + (" …" if len(bad_lines) > 10 else "")
        super().__init__(
            f"{len(bad_lines)} row(s) do not have the {expected} fields the header has "
            f"(line{'s' if len(bad_lines) > 1 else ''} {shown}).",
            "Fix those lines in the file, or load it with those rows dropped.",
        )
        self.bad_lines = bad_lines


def read_head(source: Source) -> bytes:
    """The first bytes, enough to recognise the format and the dialect."""
    if isinstance(source, bytes):
        return source[:HEAD_BYTES]
    with open(source, "rb") as handle:
        return handle.read(HEAD_BYTES)


def read_table(source: Source, options: ReadOptions = ReadOptions()) -> RawTable:
    """Read any supported format; the format comes from the content."""
    try:
        return _read_table(source, options)
    except csv.Error as exc:  # the standard library's parser, used to explain broken text
        raise MalformedTableError(
            "The text could not be read as a table.", f"Check the file ({exc})."
        ) from exc


def _read_table(source: Source, options: ReadOptions) -> RawTable:
    head = read_head(source)
    file_format = detect_format(head)
    if file_format is FileFormat.PARQUET:
        table = _read_parquet(source)
    elif file_format is FileFormat.EXCEL:
        table = _read_excel(source, options.sheet)
    elif file_format is FileFormat.JSON:
        table = _read_json(source, head)
    else:
        table = _read_delimited(source, sniff_dialect(head), options)
    names, notes = clean_column_names(list(table.frame.columns))
    table.frame.columns = names
    table.notes[:0] = notes
    if len(table.frame) == 0:
        raise EmptyFileError(
            "The file has column names but no rows of data.",
            "Add rows to the table, or check that you exported the whole sheet.",
        )
    return table


def _open(source: Source) -> pa.NativeFile | str:
    return pa.BufferReader(source) if isinstance(source, bytes) else str(source)


def _read_parquet(source: Source) -> RawTable:
    try:
        arrow = pq.read_table(_open(source))
    except (pa.ArrowException, OSError) as exc:
        raise MalformedTableError(
            "This Parquet file could not be read.", f"It may be damaged or truncated ({exc})."
        ) from exc
    return RawTable(arrow.to_pandas(date_as_object=False), ReadInfo(FileFormat.PARQUET))


def _read_excel(source: Source, sheet: str | None) -> RawTable:
    import openpyxl

    stream = io.BytesIO(source) if isinstance(source, bytes) else source
    try:
        book = openpyxl.load_workbook(stream, read_only=True, data_only=True)
        sheets = list(book.sheetnames)
        non_empty = [ws.title for ws in book.worksheets if (ws.max_row or 0) > 1]
        book.close()
        chosen = sheet or (non_empty[0] if non_empty else sheets[0])
        if chosen not in sheets:
            raise DataLoadError(
                f"The workbook has no sheet named '{chosen}'.",
                f"Pick one of: {', '.join(sheets)}.",
            )
        if isinstance(stream, io.BytesIO):
            stream.seek(0)
        frame = pd.read_excel(stream, sheet_name=chosen, engine="openpyxl")
    except DataLoadError:
        raise
    except Exception as exc:  # openpyxl raises many unrelated types for broken workbooks
        raise MalformedTableError(
            "This Excel file could not be read.", f"Open and re-save it as .xlsx or CSV ({exc})."
        ) from exc
    notes = [f"Read sheet '{chosen}' of {len(sheets)}."] if len(sheets) > 1 else []
    return RawTable(frame, ReadInfo(FileFormat.EXCEL, sheet=chosen), notes, sheets)


def _read_json(source: Source, head: bytes) -> RawTable:
    raw = source if isinstance(source, bytes) else Path(source).read_bytes()
    text = raw.decode(sniff_dialect(head).encoding, errors="replace")
    try:
        data = json.loads(text)
    except json.JSONDecodeError:
        data = None
    try:
        if data is None:
            frame = pd.read_json(io.StringIO(text), lines=True)
        elif isinstance(data, list):
            frame = pd.json_normalize(data)
        elif isinstance(data, dict) and all(isinstance(v, list) for v in data.values()):
            frame = pd.DataFrame(data)
        else:
            raise ValueError("not a list of records")
    except ValueError as exc:
        raise MalformedTableError(
            "This JSON file is not a table.",
            "Use a list of records ([{...}, {...}]) or JSON lines (one object per line).",
        ) from exc
    for name in frame.columns[frame.dtypes.map(pd.api.types.is_object_dtype)]:
        if frame[name].map(lambda v: isinstance(v, (list, dict))).any():
            frame[name] = frame[name].map(lambda v: json.dumps(v) if isinstance(v, (list, dict)) else v)
    return RawTable(frame, ReadInfo(FileFormat.JSON))


def _header(source: Source, dialect: TextDialect) -> list[str]:
    head = read_head(source).decode(dialect.encoding, errors="replace")
    return next(csv.reader(io.StringIO(head, newline=""), delimiter=dialect.delimiter), [])


def _read_delimited(source: Source, dialect: TextDialect, options: ReadOptions) -> RawTable:
    names = _header(source, dialect)
    if not names:
        raise MalformedTableError(
            "The first line of the file is empty; it should hold the column names.",
            "Remove the blank lines at the top of the file and upload it again.",
        )
    notes: list[str] = []
    if dialect.delimiter != ",":
        notes.append(f"Columns are separated by {_describe(dialect.delimiter)}.")
    if dialect.decimal == ",":
        notes.append("Numbers use a decimal comma (1,5 read as 1.5).")
    if dialect.encoding not in ("utf-8", "utf-8-sig"):
        notes.append(f"Text encoding detected as {dialect.encoding}.")
    placeholders = [f"c{i}" for i in range(len(names))]  # real names are cleaned after reading
    frame, counts = None, {}
    bad: list[int] = []
    if dialect.encoding in ("utf-8", "utf-8-sig") and dialect.decimal == "." and not options.drop_bad_rows:
        try:
            frame, counts = _read_with_arrow(source, dialect, placeholders)
        except pa.ArrowInvalid:
            frame = None  # ragged rows or bytes that are not UTF-8: the careful path explains
    if frame is None:
        bad = _ragged_lines(source, dialect, len(names))
        if bad and not options.drop_bad_rows:
            raise RaggedRowsError(bad, len(names))
        if bad:
            notes.append(f"Dropped {len(bad)} row(s) with the wrong number of fields (lines {bad[:20]}).")
        try:
            frame = _read_with_pandas(source, dialect, placeholders, bad)
        except UnicodeDecodeError:
            dialect = TextDialect("cp1252", dialect.delimiter, dialect.decimal)
            frame = _read_with_pandas(source, dialect, placeholders, bad)
            notes.append("Text encoding detected as cp1252.")
        except pd.errors.ParserError as exc:
            raise MalformedTableError("The text could not be read as a table.", str(exc)) from exc
    frame.columns = names
    info = ReadInfo(
        FileFormat.DELIMITED, dialect.delimiter, dialect.decimal, dialect.encoding, dropped_rows=len(bad)
    )
    return RawTable(frame, info, notes, counts=counts)


def _read_with_arrow(
    source: Source, dialect: TextDialect, names: list[str]
) -> tuple[pd.DataFrame, dict[int, tuple[int, int]]]:
    """Arrow's multi-threaded reader; text columns are counted in Arrow, faster than in pandas."""
    arrow = pacsv.read_csv(
        _open(source),
        read_options=pacsv.ReadOptions(column_names=names, skip_rows=1),
        parse_options=pacsv.ParseOptions(delimiter=dialect.delimiter),
        convert_options=pacsv.ConvertOptions(null_values=NULL_TOKENS, strings_can_be_null=True),
    )
    counts = {
        i: (column.null_count, pc.count_distinct(column, mode="only_valid").as_py())
        for i, column in enumerate(arrow.columns)
        if pa.types.is_string(column.type) or pa.types.is_large_string(column.type)
    }
    return arrow.to_pandas(split_blocks=True, self_destruct=True, date_as_object=False), counts


def _read_with_pandas(
    source: Source, dialect: TextDialect, names: list[str], bad_lines: list[int]
) -> pd.DataFrame:
    stream = io.BytesIO(source) if isinstance(source, bytes) else source
    return pd.read_csv(
        stream,
        sep=dialect.delimiter,
        decimal=dialect.decimal,
        encoding=dialect.encoding,
        header=None,
        skiprows=[0, *(n - 1 for n in bad_lines)],
        names=names,
        na_values=NULL_TOKENS,
        keep_default_na=False,
        low_memory=False,
    )


def _ragged_lines(source: Source, dialect: TextDialect, expected: int) -> list[int]:
    """1-based line numbers of the rows whose field count differs from the header's."""
    raw = source if isinstance(source, bytes) else Path(source).read_bytes()
    text = raw.decode(dialect.encoding, errors="replace")
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=dialect.delimiter)
    bad = []
    for row in reader:
        if row and len(row) != expected:
            bad.append(reader.line_num)
    return bad


def _describe(delimiter: str) -> str:
    return {";": "semicolons", "\t": "tabs", "|": "vertical bars"}.get(delimiter, repr(delimiter))
