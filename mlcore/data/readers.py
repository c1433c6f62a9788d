"""Turn the bytes of an uploaded (or local) file into a raw DataFrame.

Delimited UTF-8 text takes pyarrow's multi-threaded reader; anything that needs a decimal comma or
a legacy encoding goes through pandas. Every failure becomes a typed `mlcore` error that says what
is wrong with the file and what to do, never the reader's own words. Every file is bounded before
it is read: what its metadata says (a Parquet footer, a sheet's dimension, the size of a text file)
is checked against the limits first, and what the reader really holds is counted while it reads.
"""

from __future__ import annotations

import csv
import io
import json
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from mlcore.data.archives import check_archive
from mlcore.data.columns import clean_column_names
from mlcore.data.sniff import (
    HEAD_BYTES,
    TextDialect,
    detect_format,
    format_from_name,
    sniff_dialect,
    unreadable,
)
from mlcore.dataset import FileFormat, ReadInfo
from mlcore.errors import DataLoadError, EmptyFileError, LimitExceededError, MalformedTableError
from mlcore.settings import DEFAULT, Limits

if TYPE_CHECKING:
    from openpyxl.cell.read_only import ReadOnlyCell
    from openpyxl.worksheet._read_only import ReadOnlyWorksheet

Source = bytes | Path

FILE_TYPES = ("csv", "tsv", "txt", "xlsx", "parquet", "json", "jsonl")  # what an upload may be named
NULL_TOKENS = ["", "NA", "N/A", "n/a", "NaN", "nan", "NULL", "null", "None", "#N/A", "-nan", "-NaN"]

MAX_JSON_DEPTH = 100  # records nest a few levels; json.loads recurses once per level, to ~1,000
# Memory for json.loads, json_normalize and the frame, measured with tracemalloc on records, columns,
# JSON lines, nested, empty and wide objects: at most this per byte of text plus this per array or
# object (1 to 2.5 times the real peak)
_JSON_TEXT_FACTOR = 16
_JSON_CONTAINER_BYTES = 320
_TABLE_JSON = "Use a list of records ([{...}, {...}]) or JSON lines (one object per line)."


@dataclass(frozen=True)
class ReadOptions:
    """Choices the user can make about how a file is read."""

    sheet: str | None = None
    drop_bad_rows: bool = False
    day_first: bool | None = None  # 05/02/2024: True reads 5 February, False 2 May, None infers the order


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


def read_table(
    source: Source, options: ReadOptions = ReadOptions(), limits: Limits = DEFAULT.limits, name: str = ""
) -> RawTable:
    """Read any supported format; the format comes from the content.

    The file's `name` only words a failure: content that cannot be read as the format its extension
    promises (a `.json` file that is not JSON) is refused as that format.
    """
    head = read_head(source)
    claimed = format_from_name(name)
    file_format = detect_format(head, claimed)
    try:
        return _read_table(source, head, file_format, options, limits)
    except LimitExceededError:
        raise
    except DataLoadError as exc:
        if claimed is None or claimed is file_format:
            raise
        raise unreadable(claimed) from exc


def _read_table(
    source: Source, head: bytes, file_format: FileFormat, options: ReadOptions, limits: Limits
) -> RawTable:
    if file_format is FileFormat.PARQUET:
        table = _read_parquet(source, limits)
    elif file_format is FileFormat.EXCEL:
        table = _read_excel(source, options.sheet, limits)
    else:  # text takes at least its own size in memory once read
        limits.check_memory(len(source) if isinstance(source, bytes) else source.stat().st_size)
        if file_format is FileFormat.JSON:
            table = _read_json(source, head, limits)
        else:
            table = _read_delimited(source, sniff_dialect(head), options, limits)
    names, notes = clean_column_names(list(table.frame.columns))
    table.frame.columns = names
    table.notes[:0] = notes
    if not names:
        raise EmptyFileError(
            "The file holds no table: it has no columns.",
            "Check that you picked the right file (or sheet) and that it was saved with its data.",
        )
    if len(table.frame) == 0:
        raise EmptyFileError(
            "The file has column names but no rows of data.",
            "Add rows to the table, or check that you exported the whole sheet.",
        )
    return table


def _open(source: Source) -> pa.NativeFile | str:
    return pa.BufferReader(source) if isinstance(source, bytes) else str(source)


# ---------- Parquet ----------


def _read_parquet(source: Source, limits: Limits) -> RawTable:
    """The footer's row count and unpacked size are checked before any data is read; the bytes really
    decoded are counted batch by batch, as dictionary-encoded values unpack to far more than the footer
    says (and a footer can lie)."""
    try:
        parquet = pq.ParquetFile(_open(source))
        meta = parquet.metadata
        limits.check_table(meta.num_rows, meta.num_columns)
        limits.check_memory(sum(meta.row_group(i).total_byte_size for i in range(meta.num_row_groups)))
        batches, held = [], 0
        for batch in parquet.iter_batches():
            held += batch.nbytes
            limits.check_memory(held)
            batches.append(batch)
        arrow = pa.Table.from_batches(batches, parquet.schema_arrow)
    except (pa.ArrowException, OSError, ValueError) as exc:
        raise unreadable(FileFormat.PARQUET) from exc
    return RawTable(arrow.to_pandas(date_as_object=False), ReadInfo(FileFormat.PARQUET))


# ---------- Excel ----------


def _read_excel(source: Source, sheet: str | None, limits: Limits) -> RawTable:
    """A workbook is a zip of XML: its unpacked size is capped before openpyxl opens it, the sheet's
    dimension is checked before the sheet is parsed, and its cells are counted while they are parsed."""
    import openpyxl

    stream = io.BytesIO(source) if isinstance(source, bytes) else source
    try:
        with zipfile.ZipFile(stream) as archive:
            check_archive(archive, limits.max_workbook_bytes, "Excel workbook")
        book = openpyxl.load_workbook(stream, read_only=True, data_only=True)
    except LimitExceededError:
        raise
    except Exception as exc:  # zipfile and openpyxl raise many unrelated types for broken workbooks
        raise unreadable(FileFormat.EXCEL) from exc
    try:
        sheets = list(book.sheetnames)
        non_empty = [ws.title for ws in book.worksheets if (ws.max_row or 0) > 1]
        chosen = sheet or (non_empty[0] if non_empty else sheets[0])
        if chosen not in sheets:
            raise DataLoadError(
                f"The workbook has no sheet named '{chosen}'.",
                f"Pick one of: {', '.join(sheets)}.",
            )
        frame = _read_sheet(book[chosen], limits)
    except DataLoadError:
        raise
    except Exception as exc:
        raise unreadable(FileFormat.EXCEL) from exc
    finally:
        book.close()
    notes = [f"Read sheet '{chosen}' of {len(sheets)}."] if len(sheets) > 1 else []
    return RawTable(frame, ReadInfo(FileFormat.EXCEL, sheet=chosen), notes, sheets)


def _read_sheet(worksheet: ReadOnlyWorksheet, limits: Limits) -> pd.DataFrame:
    """What `pd.read_excel` returns for the sheet (train.py reads it so), within the limits.

    pandas' openpyxl reader pads every row to the widest one and stops at nothing: a wrong dimension,
    or one cell in column XFD, would have it build billions of empty cells. This is the same loop
    (`OpenpyxlReader.get_sheet_data`) counting as it goes, then the same parser.
    """
    from pandas.io.parsers import TextParser

    if worksheet.max_row and worksheet.max_column:  # the sheet's own <dimension>, read by openpyxl
        limits.check_sheet(
            worksheet.max_row - worksheet.min_row + 1, worksheet.max_column - worksheet.min_column + 1
        )
    worksheet.reset_dimensions()  # as pandas does: writers often get the dimension wrong
    rows: list[list[object]] = []
    width = filled = 0
    for cells in worksheet.rows:
        values = [_cell_value(cell) for cell in cells]
        while values and values[-1] == "":
            values.pop()
        if values:
            filled, width = len(rows) + 1, max(width, len(values))
        rows.append(values)
        limits.check_sheet(len(rows), width, at_least=True)
    if not filled:
        return pd.DataFrame()
    padded = [values + [""] * (width - len(values)) for values in rows[:filled]]
    return TextParser(padded, header=0, skip_blank_lines=False).read()


def _cell_value(cell: ReadOnlyCell) -> object:
    """pandas' value for an openpyxl cell (`OpenpyxlReader._convert_cell`)."""
    if cell.value is None:
        return ""
    if cell.data_type == "e":  # an error such as #DIV/0!
        return np.nan
    if cell.data_type == "n":
        whole = int(cell.value)
        return whole if whole == cell.value else float(cell.value)
    return cell.value


# ---------- JSON ----------


class _JsonShape(NamedTuple):
    depth: int  # the deepest nesting of arrays and objects
    containers: int  # arrays and objects


def _read_json(source: Source, head: bytes, limits: Limits) -> RawTable:
    """Nesting and size come from a scan of the bytes before parsing: json.loads recurses once per
    level and builds Python objects many times the size of the text."""
    raw = source if isinstance(source, bytes) else Path(source).read_bytes()
    encoding = sniff_dialect(head).encoding
    text = raw.decode(encoding, errors="replace") if encoding == "utf-16" else None
    shape = _json_shape(raw if text is None else text.encode())  # the scan needs ASCII-compatible bytes
    if shape.depth > MAX_JSON_DEPTH:
        raise MalformedTableError(
            f"This JSON is nested {shape.depth:,} levels deep; a table needs only a few.", _TABLE_JSON
        )
    limits.check_memory(len(raw) * _JSON_TEXT_FACTOR + shape.containers * _JSON_CONTAINER_BYTES)
    try:
        frame = _json_frame(text if text is not None else raw.decode(encoding, errors="replace"))
    except RecursionError as exc:
        raise MalformedTableError("This JSON is nested too deeply to be a table.", _TABLE_JSON) from exc
    return RawTable(frame, ReadInfo(FileFormat.JSON))


def _json_shape(data: bytes, chunk: int = 1 << 20) -> _JsonShape:
    """Count the brackets outside strings, a megabyte at a time, with numpy."""
    if b"\\" in data:
        data = data.replace(b"\\\\", b"").replace(b'\\"', b"")  # an escaped quote does not end a string
    codes = np.frombuffer(data, np.uint8)
    inside, depth, deepest, containers = False, 0, 0, 0
    for start in range(0, len(codes), chunk):
        part = codes[start : start + chunk]
        in_string = np.logical_xor.accumulate(part == ord('"')) ^ inside
        opens = ~in_string & ((part == ord("[")) | (part == ord("{")))
        closes = ~in_string & ((part == ord("]")) | (part == ord("}")))
        steps = opens[opens | closes].astype(np.int64) * 2 - 1
        if len(steps):
            levels = depth + np.cumsum(steps)
            deepest, depth = max(deepest, int(levels.max())), int(levels[-1])
        containers += int(opens.sum())
        inside = bool(in_string[-1])
    return _JsonShape(deepest, containers)


def _json_frame(text: str) -> pd.DataFrame:
    """Records ([{...}, ...]), columns ({"a": [...], ...}) or JSON lines, as train.py reads them."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        if not exc.msg.startswith("Extra data"):
            raise _not_json(exc.lineno, exc.colno) from exc
        data = None  # one complete value and then more: JSON lines
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
        bad_line = _first_bad_line(text) if data is None else None
        if bad_line:
            raise _not_json(*bad_line) from exc
        raise MalformedTableError("This JSON file is not a table.", _TABLE_JSON) from exc
    for name in frame.columns[frame.dtypes.map(pd.api.types.is_object_dtype)]:
        if frame[name].map(lambda v: isinstance(v, (list, dict))).any():
            frame[name] = frame[name].map(lambda v: json.dumps(v) if isinstance(v, (list, dict)) else v)
    return frame


def _first_bad_line(text: str) -> tuple[int, int] | None:
    """(line, column) of the first line of JSON lines that is not JSON."""
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            json.loads(line)
        except json.JSONDecodeError as exc:
            return number, exc.colno
    return None


def _not_json(line: int, column: int) -> MalformedTableError:
    return MalformedTableError(
        f"This file is not valid JSON: it stops making sense at line {line:,}, column {column:,}.",
        "A missing comma, quote or bracket there is the usual cause: fix it, or save the table again "
        "as JSON records or CSV.",
    )


# ---------- delimited text ----------


def header_names(source: Source, dialect: TextDialect) -> list[str]:
    head = read_head(source).decode(dialect.encoding, errors="replace")
    return next(csv.reader(io.StringIO(head, newline=""), delimiter=dialect.delimiter), [])


def _read_delimited(source: Source, dialect: TextDialect, options: ReadOptions, limits: Limits) -> RawTable:
    try:
        return _read_text_table(source, dialect, options, limits)
    except (csv.Error, pd.errors.ParserError) as exc:  # csv explains broken text; pandas may still fail
        raise MalformedTableError(
            "The text could not be read as a table.",
            'The usual cause is a quote (") that opens a value and never closes it, or a single value '
            f"longer than {csv.field_size_limit():,} characters: check the file, then save it again as CSV.",
        ) from exc


def _read_text_table(source: Source, dialect: TextDialect, options: ReadOptions, limits: Limits) -> RawTable:
    names = header_names(source, dialect)
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
            frame, counts = _read_with_arrow(source, dialect, placeholders, limits)
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
    frame.columns = names
    info = ReadInfo(
        FileFormat.DELIMITED, dialect.delimiter, dialect.decimal, dialect.encoding, dropped_rows=len(bad)
    )
    return RawTable(frame, info, notes, counts=counts)


def _read_with_arrow(
    source: Source, dialect: TextDialect, names: list[str], limits: Limits
) -> tuple[pd.DataFrame, dict[int, tuple[int, int]]]:
    """Arrow's multi-threaded reader; text columns are counted in Arrow, faster than in pandas. The
    table's real size is checked before pandas makes its copy (empty cells take no bytes in Arrow and
    eight each in pandas)."""
    arrow = pacsv.read_csv(
        _open(source),
        read_options=pacsv.ReadOptions(column_names=names, skip_rows=1),
        parse_options=pacsv.ParseOptions(delimiter=dialect.delimiter),
        convert_options=pacsv.ConvertOptions(null_values=NULL_TOKENS, strings_can_be_null=True),
    )
    limits.check_table(arrow.num_rows, arrow.num_columns)
    limits.check_memory(arrow.nbytes)
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
