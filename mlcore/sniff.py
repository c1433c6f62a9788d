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
from enum import StrEnum

from mlcore.errors import EmptyFileError, NotATableError, UnsupportedFormatError

HEAD_BYTES = 64 * 1024
DELIMITERS = (",", ";", "\t", "|")
_DECIMAL_COMMA = re.compile(r"^\s*-?\d+,\d+\s*$")

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


class FileFormat(StrEnum):
    """The table formats we read."""

    DELIMITED = "delimited text"
    EXCEL = "Excel workbook"
    PARQUET = "Parquet"
    JSON = "JSON"


@dataclass(frozen=True)
class TextDialect:
    """How a delimited text file is written."""

    encoding: str
    delimiter: str
    decimal: str


def detect_format(head: bytes) -> FileFormat:
    """Classify the content; raise a typed error for anything that is not a table we read."""
    if not head.strip():
        raise EmptyFileError(
            "The file is empty.", "Check that you picked the right file and that it was saved."
        )
    if head.startswith(b"PAR1"):
        return FileFormat.PARQUET
    if head.startswith(b"PK\x03\x04"):
        if b"xl/" in head or b"[Content_Types].xml" in head:
            return FileFormat.EXCEL
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
    text = decode_head(head)
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
