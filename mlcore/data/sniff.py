"""Recognise what a file is from its first bytes, not from its name.

A renamed PNG or a zip with a `.csv` extension must get a clear message, and a CSV saved by Excel
in cp1252 with `;` and decimal commas must load, so format, encoding, delimiter and decimal mark
are all read off the content.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
from dataclasses import dataclass
from pathlib import PurePath

from mlcore.dataset import FileFormat
from mlcore.errors import EmptyFileError, MalformedTableError, NotATableError, UnsupportedFormatError

HEAD_BYTES = 64 * 1024
DELIMITERS = (",", ";", "\t", "|")
_DECIMAL_COMMA = re.compile(r"^\s*-?(?:\d{1,3}(?:\.\d{3})+|\d+),\d+\s*$")  # 1,5 and 1.234,5

_MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"\x89PNG", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF8", "a GIF image"),
    (b"BM", "a BMP image"),
    (b"%PDF", "a PDF document"),
    (b"RIFF", "an audio or video file"),
    (b"\x7fELF", "a program"),
    (b"MZ", "a Windows program"),
)


# Names whose extension makes a promise worth keeping in a message: "not a readable Excel workbook"
# says more to someone who picked `book.xlsx` than "binary data" or "a zip archive" does.
_EXTENSIONS = {
    ".xlsx": FileFormat.EXCEL,
    ".xlsm": FileFormat.EXCEL,
    ".parquet": FileFormat.PARQUET,
    ".pq": FileFormat.PARQUET,
    ".json": FileFormat.JSON,
    ".jsonl": FileFormat.JSON,
    ".ndjson": FileFormat.JSON,
}

_UNREADABLE = {
    FileFormat.EXCEL: (
        "This file is not a readable Excel workbook.",
        "It may be damaged, cut short or another kind of file: open it in Excel or LibreOffice and save "
        "it again as .xlsx, or export the sheet as CSV.",
    ),
    FileFormat.PARQUET: (
        "This file is not a readable Parquet file.",
        "It may be damaged or cut short: write it again (for example with pandas' to_parquet), or "
        "export the table as CSV.",
    ),
    FileFormat.JSON: (
        "This file is not valid JSON.",
        "A table in JSON is a list of records ([{...}, {...}]) or one object per line: check that you "
        "picked the right file, or save the table as CSV.",
    ),
}


@dataclass(frozen=True)
class TextDialect:
    """How a delimited text file is written."""

    encoding: str
    delimiter: str
    decimal: str


def format_from_name(name: str) -> FileFormat | None:
    """The format a file's extension claims, for the formats whose failures we word by it."""
    return _EXTENSIONS.get(PurePath(name).suffix.lower())


def unreadable(file_format: FileFormat) -> MalformedTableError:
    """The error for content that is (or is named as) `file_format` but cannot be read as it."""
    return MalformedTableError(*_UNREADABLE[file_format])


def detect_format(head: bytes, claimed: FileFormat | None = None) -> FileFormat:
    """Classify the content; raise a typed error for anything that is not a table we read.

    `claimed` (from the file's name) words the generic refusals: junk named `.xlsx` is "not a readable
    Excel workbook", not "binary data"; a PNG or a gzip file is still called what it is.
    """
    if not head.strip():
        raise EmptyFileError(
            "The file is empty.", "Check that you picked the right file and that it was saved."
        )
    if head.startswith(b"PAR1"):
        return FileFormat.PARQUET
    if head.startswith(b"PK\x03\x04"):
        if b"xl/" in head or b"[Content_Types].xml" in head or claimed is FileFormat.EXCEL:
            return FileFormat.EXCEL  # named .xlsx: openpyxl decides, and a zip of other things is refused
        raise UnsupportedFormatError(
            "This is a zip archive, not a table.", "Unzip it and upload the CSV or Excel file inside."
        )
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        raise UnsupportedFormatError(
            "This is an old-style Excel (.xls) or Office file.",
            "Open it in a spreadsheet program and save it as .xlsx or CSV.",
        )
    if head.startswith(b"\x1f\x8b"):
        raise UnsupportedFormatError(
            "This file is gzip-compressed.", "Decompress it first and upload the table inside."
        )
    for magic, what in _MAGIC:
        if head.startswith(magic):
            raise NotATableError(
                f"This file is {what}, not a table.",
                "Upload a CSV, TSV, Excel, Parquet or JSON file.",
            )
    try:
        text = decode_head(head)
    except NotATableError:
        if claimed is None:
            raise
        raise unreadable(claimed) from None
    stripped = text.lstrip()
    if stripped[:1] in "[{":
        return FileFormat.JSON
    return FileFormat.DELIMITED


def detect_encoding(head: bytes) -> str:
    """UTF-8 (with or without BOM) when it decodes cleanly, otherwise cp1252 (or Latin-1)."""
    if head.startswith(b"\xef\xbb\xbf"):
        return "utf-8-sig"
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "utf-16"
    # The head may end in the middle of a multi-byte character: an incremental decoder allows it.
    try:
        codecs.getincrementaldecoder("utf-8")().decode(head, final=False)
        return "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        head.decode("cp1252")
        return "cp1252"
    except UnicodeDecodeError:
        return "latin-1"


def decode_head(head: bytes) -> str:
    """Decode the first bytes, refusing binary content (NUL bytes or many control characters)."""
    encoding = detect_encoding(head)
    if encoding != "utf-16" and b"\x00" in head:
        raise NotATableError(
            "This file holds binary data, not a text table.",
            "Upload a CSV, TSV, Excel, Parquet or JSON file.",
        )
    text = head.decode(encoding, errors="replace")
    controls = sum(1 for ch in text if ord(ch) < 32 and ch not in "\r\n\t")
    replaced = text.count("\ufffd")
    if text and (controls + replaced) / len(text) > 0.05:
        raise NotATableError(
            "This file holds binary data, not a text table.",
            "Upload a CSV, TSV, Excel, Parquet or JSON file.",
        )
    return text


def sniff_dialect(head: bytes) -> TextDialect:
    """Find the encoding, the delimiter (most consistent field count) and the decimal mark."""
    encoding = detect_encoding(head)
    text = decode_head(head)
    lines = [line for line in text.splitlines()[:200] if line.strip()]
    if len(head) == HEAD_BYTES and len(lines) > 1:
        lines = lines[:-1]  # the last line may be cut off
    delimiter = _best_delimiter(lines)
    decimal = "," if delimiter != "," and _uses_decimal_comma(lines[1:], delimiter) else "."
    return TextDialect(encoding=encoding, delimiter=delimiter, decimal=decimal)


def _best_delimiter(lines: list[str]) -> str:
    best, best_score = ",", (-1.0, 0)
    for delimiter in DELIMITERS:
        counts = [len(row) for row in csv.reader(io.StringIO("\n".join(lines)), delimiter=delimiter)]
        if not counts or counts[0] < 2:
            continue
        agreeing = sum(1 for c in counts if c == counts[0]) / len(counts)
        score = (agreeing, counts[0])
        if score > best_score:
            best, best_score = delimiter, score
    return best


def _uses_decimal_comma(lines: list[str], delimiter: str) -> bool:
    cells = [cell for row in csv.reader(io.StringIO("\n".join(lines)), delimiter=delimiter) for cell in row]
    return any(_DECIMAL_COMMA.match(cell) for cell in cells)
