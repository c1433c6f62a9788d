"""Formats are recognised from content; each reader gives the same table; limits give clear errors."""

from __future__ import annotations

import gzip
import io
import json
import zipfile

import numpy as np
import pandas as pd
import pytest

from mlcore.data.loading import load_bytes
from mlcore.data.sniff import detect_format, sniff_dialect
from mlcore.dataset import FileFormat, ReadInfo
from mlcore.errors import LimitExceededError, MalformedTableError, UnsupportedFormatError
from mlcore.settings import Limits

FRAME = pd.DataFrame(
    {
        "height": [1.5, 2.25, np.nan, 4.0],
        "colour": ["red", "blue", "red", None],
        "count": [1, 2, 3, 4],
    }
)


def _same(loaded: pd.DataFrame) -> None:
    assert list(loaded.columns) == list(FRAME.columns)
    np.testing.assert_allclose(loaded["height"].to_numpy(float), FRAME["height"].to_numpy(float))
    assert loaded["colour"].where(loaded["colour"].notna(), None).tolist() == FRAME["colour"].tolist()
    assert loaded["count"].tolist() == [1, 2, 3, 4]


@pytest.mark.parametrize("sep", [",", ";", "\t", "|"])
def test_delimiters_are_detected(sep):
    data = FRAME.to_csv(index=False, sep=sep).encode()
    dataset = load_bytes(data, "table.txt")[0]
    _same(dataset.frame)
    assert dataset.read_info == ReadInfo(FileFormat.DELIMITED, sep, ".", "utf-8")


def test_cp1252_decimal_comma_csv_as_excel_writes_it():
    frame = FRAME.assign(colour=FRAME["colour"].replace("red", "rouge façon"))
    data = frame.to_csv(index=False, sep=";", decimal=",").encode("cp1252")
    dataset = load_bytes(data, "excel.csv")[0]
    assert dataset.frame["colour"].tolist()[:2] == ["rouge façon", "blue"]
    assert dataset.frame["height"].tolist()[:2] == [1.5, 2.25]
    assert dataset.read_info == ReadInfo(FileFormat.DELIMITED, ";", ",", "cp1252")


def test_excel_parquet_and_json_read_the_same_table():
    xlsx = io.BytesIO()
    FRAME.to_excel(xlsx, index=False)
    parquet = FRAME.to_parquet(index=False)
    records = FRAME.to_json(orient="records").encode()
    lines = FRAME.to_json(orient="records", lines=True).encode()
    for data, expected, sheet in [
        (xlsx.getvalue(), FileFormat.EXCEL, "Sheet1"),
        (parquet, FileFormat.PARQUET, None),
        (records, FileFormat.JSON, None),
        (lines, FileFormat.JSON, None),
    ]:
        assert detect_format(data[:65536]) is expected
        dataset = load_bytes(data, "renamed.csv")[0]  # the extension does not matter
        _same(dataset.frame)
        assert dataset.read_info == ReadInfo(expected, sheet=sheet)


def test_nested_json_records_are_flattened():
    data = json.dumps([{"a": 1, "b": {"c": 2}}, {"a": 3, "b": {"c": 4}}]).encode()
    frame = load_bytes(data, "nested.json")[0].frame
    assert frame.to_dict("list") == {"a": [1, 3], "b.c": [2, 4]}


def test_json_that_is_not_a_table_is_refused():
    with pytest.raises(MalformedTableError, match="not a table"):
        load_bytes(b'{"just": "an object"}', "x.json")


@pytest.mark.parametrize(
    ("data", "words"),
    [
        (gzip.compress(b"a,b\n1,2\n"), "gzip"),
        (b"\xd0\xcf\x11\xe0" + b"\x00" * 100, ".xls"),
    ],
)
def test_unsupported_formats_are_named(data, words):
    with pytest.raises(UnsupportedFormatError, match=words):
        load_bytes(data, "x.csv")


def test_a_plain_zip_is_not_mistaken_for_excel():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("inside.csv", "a,b\n1,2\n")
    with pytest.raises(UnsupportedFormatError, match="zip archive"):
        load_bytes(buffer.getvalue(), "x.csv")


def test_size_row_and_column_limits_give_clear_errors():
    data = FRAME.to_csv(index=False).encode()
    with pytest.raises(LimitExceededError, match="limit is 0 MB"):
        load_bytes(data, "x.csv", limits=Limits(max_bytes=10))
    with pytest.raises(LimitExceededError, match="4 rows"):
        load_bytes(data, "x.csv", limits=Limits(max_rows=3))
    with pytest.raises(LimitExceededError, match="3 columns"):
        load_bytes(data, "x.csv", limits=Limits(max_columns=2))


def test_unnamed_middle_columns_get_names():
    frame = load_bytes(b"a,,c\n1,2,3\n4,5,6\n", "x.csv")[0].frame
    assert list(frame.columns) == ["a", "column_2", "c"]


def test_dialect_sniffing():
    dialect = sniff_dialect("name;value\nx;1,5\ny;2,25\n".encode("utf-8-sig"))
    assert (dialect.encoding, dialect.delimiter, dialect.decimal) == ("utf-8-sig", ";", ",")
    assert sniff_dialect(b"a,b\n1,2\n").decimal == "."


def test_dates_are_parsed_and_typed():
    data = b"day,value\n2024-01-05,1\n2024-02-10,2\n2024-03-15,3\n"
    dataset = load_bytes(data, "dates.csv")[0]
    assert pd.api.types.is_datetime64_any_dtype(dataset.frame["day"])
    assert dataset.column("day").ctype.value == "datetime"
    assert dataset.frame["day"].dt.month.tolist() == [1, 2, 3]


def test_same_bytes_same_hash_different_bytes_different_hash():
    data = FRAME.to_csv(index=False).encode()
    first, second = load_bytes(data, "a.csv")[0], load_bytes(data, "b.csv")[0]
    assert first.content_hash == second.content_hash
    assert load_bytes(data + b"5,green,5\n", "a.csv")[0].content_hash != first.content_hash
