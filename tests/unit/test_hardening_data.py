"""Issue 11 (reading user files): size and decompression bombs, deep JSON, thousands separators,
ambiguous dates and messages that say the wrong thing. Each test is named after the bug it pins."""

from __future__ import annotations

import io
import json
import re
import struct
import subprocess
import sys
import time
import tracemalloc
import zipfile
from collections.abc import Iterable
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from mlcore.cli import main
from mlcore.data.loading import load_bytes, load_path
from mlcore.data.readers import ReadOptions, read_table
from mlcore.errors import (
    DataLoadError,
    EmptyFileError,
    LimitExceededError,
    MalformedTableError,
    UnsupportedFormatError,
)
from mlcore.schema import ColumnType
from mlcore.settings import DEFAULT, Limits

ROOT = Path(__file__).resolve().parents[2]
QUICK = 5.0  # seconds: generous, to tell "refused from the metadata" from "parsed the whole file"

# ---------- helpers that build hostile files ----------


def _varint(n: int) -> bytes:
    out = bytearray()
    while True:
        low, n = n & 0x7F, n >> 7
        out.append(low | 0x80 if n else low)
        if not n:
            return bytes(out)


def _claim_rows(parquet: bytes, real: int, claimed: int) -> bytes:
    """Rewrite the Thrift footer so that the file, its row group and its column say `claimed` rows.

    In the compact protocol each of those counts is field 3 or 5 of type i64 right after the previous
    field (header byte 0x16) followed by the zigzag varint of the count."""
    size = struct.unpack("<I", parquet[-8:-4])[0]
    footer = parquet[-8 - size : -8]
    old, new = b"\x16" + _varint(real * 2), b"\x16" + _varint(claimed * 2)
    assert footer.count(old) == 3
    footer = footer.replace(old, new)
    return parquet[: -8 - size] + footer + struct.pack("<I", len(footer)) + b"PAR1"


def _workbook(sheet_xml: Iterable[bytes]) -> bytes:
    """A real workbook written by openpyxl whose sheet XML is replaced by `sheet_xml`, streamed."""
    template = io.BytesIO()
    book = openpyxl.Workbook()
    book.active.title = "data"
    book.active.append(["a"])
    book.save(template)
    out = io.BytesIO()
    with zipfile.ZipFile(template) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            if info.filename != "xl/worksheets/sheet1.xml":
                target.writestr(info.filename, source.read(info))
                continue
            with target.open(info.filename, "w", force_zip64=True) as member:
                for chunk in sheet_xml:
                    member.write(chunk)
    return out.getvalue()


def _sheet(rows: Iterable[bytes], dimension: str | None = None) -> Iterable[bytes]:
    yield b'<?xml version="1.0" encoding="UTF-8"?>'
    yield b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
    if dimension:
        yield f'<dimension ref="{dimension}"/>'.encode()
    yield b"<sheetData>"
    yield from rows
    yield b"</sheetData></worksheet>"


def _numbered_rows(n: int, first: int = 1) -> Iterable[bytes]:
    for start in range(first, first + n, 10_000):
        yield b"".join(
            f'<row r="{r}"><c r="A{r}"><v>{r}</v></c></row>'.encode()
            for r in range(start, min(start + 10_000, first + n))
        )


_PEAK = """
import resource, sys
from pathlib import Path
from mlcore.errors import MLCoreError
from mlcore.data.loading import load_bytes, load_path
from mlcore.settings import Limits
limits = Limits(**eval(sys.argv[3]))
data = Path(sys.argv[1]).read_bytes() if sys.argv[2] == "bytes" else None
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
try:
    if data is None:
        load_path(sys.argv[1], limits=limits)
    else:
        load_bytes(data, Path(sys.argv[1]).name, limits=limits)
    print("loaded")
except MLCoreError as exc:
    print(type(exc).__name__, exc.message)
print((resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) // 1024)
"""


def _load_in_a_process(path: Path, how: str, **limits: int) -> tuple[str, int]:
    """Load in a fresh interpreter: (outcome line, MB the load added to the peak resident memory)."""
    result = subprocess.run(
        [sys.executable, "-c", _PEAK, str(path), how, repr(limits)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=240,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    outcome, peak = result.stdout.strip().splitlines()[-2:]
    return outcome, int(peak)


def _refusal(
    data: bytes, name: str, limits: Limits = DEFAULT.limits
) -> tuple[LimitExceededError, float, int]:
    """Load bytes that must be refused: the error, the seconds it took and the peak Python memory in MB."""
    tracemalloc.start()
    start = time.perf_counter()
    try:
        with pytest.raises(LimitExceededError) as caught:
            load_bytes(data, name, limits=limits)
        seconds = time.perf_counter() - start
        peak = tracemalloc.get_traced_memory()[1] // 2**20
    finally:
        tracemalloc.stop()
    assert caught.value.hint
    return caught.value, seconds, peak


def _assert_plain(error: DataLoadError, *internals: str) -> None:
    """No raw exception text: neither the cause's words nor the reader's internals reach the user."""
    shown = f"{error.message} {error.hint}"
    cause = error.__cause__
    while cause is not None:
        if str(cause):
            assert str(cause) not in shown
        cause = cause.__cause__
    for word in internals:
        assert word not in shown
    assert error.hint


# ---------- 5. size and decompression bombs ----------


@pytest.fixture(scope="module")
def two_hundred_million_rows(tmp_path_factory) -> Path:
    """A 1.6 MB Parquet file of 200 million rows: one constant int64 column, twenty row groups."""
    path = tmp_path_factory.mktemp("bomb") / "rows.parquet"
    batch = pa.table({"x": pa.array(np.zeros(10_000_000, dtype=np.int64))})
    with pq.ParquetWriter(path, batch.schema) as writer:
        for _ in range(20):
            writer.write_table(batch)
    assert path.stat().st_size < 4 * 2**20
    return path


@pytest.mark.parametrize("how", ["bytes", "path"])
def test_parquet_of_two_hundred_million_rows_is_refused_from_its_footer_before_reading(
    two_hundred_million_rows, how
):
    outcome, peak_mb = _load_in_a_process(two_hundred_million_rows, how)
    assert peak_mb < 150  # reading it takes 1.6 GB for Arrow and as much again for pandas (3.3 GB)
    assert outcome.startswith("LimitExceededError The table has 200,000,000 rows × 1 column (")


def test_parquet_footer_claiming_ten_billion_rows_is_refused_before_reading():
    sink = io.BytesIO()
    pq.write_table(pa.table({"x": np.arange(777)}), sink)
    data = _claim_rows(sink.getvalue(), 777, 10**10)
    assert pq.ParquetFile(pa.BufferReader(data)).metadata.num_rows == 10**10
    error, seconds, _ = _refusal(data, "claims.parquet")
    assert "10,000,000,000 rows" in error.message and "5,000,000 rows" in error.message
    assert seconds < QUICK
    _assert_plain(error, "malloc")


def test_parquet_larger_than_the_memory_limit_once_unpacked_is_refused_from_its_footer(tmp_path, monkeypatch):
    path = tmp_path / "wide.parquet"
    pq.write_table(pa.table({"s": ["x" * 2**20] * 40}), path, use_dictionary=False, compression="zstd")
    assert path.stat().st_size < 2**20  # 40 MB once unpacked, per its footer
    monkeypatch.setattr(pq.ParquetFile, "iter_batches", None)  # any read of the data would fail
    monkeypatch.setattr(pq, "read_table", None)
    with pytest.raises(LimitExceededError) as caught:
        load_path(path, limits=Limits(max_memory_bytes=16 * 2**20))
    assert caught.value.message == "Reading this file would take about 40 MB of memory; the limit is 16 MB."
    assert caught.value.hint


def test_parquet_whose_strings_outgrow_the_memory_limit_is_refused_while_reading(tmp_path):
    path = tmp_path / "dictionary.parquet"
    pq.write_table(pa.table({"s": ["x" * 2**20] * 64}), path, use_dictionary=True)
    footer_bytes = pq.ParquetFile(path).metadata.row_group(0).total_byte_size
    assert footer_bytes < 2 * 2**20  # the footer cannot tell: one dictionary entry and 64 indices
    outcome, peak_mb = _load_in_a_process(path, "path", max_memory_bytes=16 * 2**20)
    assert outcome.startswith("LimitExceededError Reading this file would take about")
    assert outcome.endswith("the limit is 16 MB.")
    assert peak_mb < 150


def test_xlsx_of_six_million_rows_is_refused_quickly_without_parsing_the_sheet():
    rows = (b"<row><c><v>1</v></c></row>" * 100_000 for _ in range(60))
    data = _workbook(_sheet(rows, "A1:A6000000"))
    assert len(data) < 2**20
    error, seconds, peak_mb = _refusal(data, "rows.xlsx")
    assert seconds < QUICK and peak_mb < 50
    assert error.message == "The Excel workbook would inflate to 149 MB when unpacked; the limit is 128 MB."


def test_xlsx_whose_dimension_claims_more_cells_than_the_sheet_limit_is_refused_before_parsing(tmp_path):
    data = _workbook(_sheet(_numbered_rows(20_000), "A1:B3000000"))
    error, seconds, _ = _refusal(data, "claims.xlsx")
    assert error.message.startswith("The sheet has 3,000,000 rows × 2 columns (6,000,000 cells)")
    assert seconds < QUICK
    path = tmp_path / "claims.xlsx"  # a local file (the command line) is checked the same way
    path.write_bytes(data)
    with pytest.raises(LimitExceededError) as caught:
        load_path(path)
    assert caught.value.message == error.message


def test_xlsx_with_a_wrong_dimension_is_still_bounded_while_reading():
    data = _workbook(_sheet(_numbered_rows(200_000), "A1:A2"))
    error, seconds, _ = _refusal(data, "lies.xlsx", Limits(max_sheet_cells=5_000))
    assert "5,000 cells" in error.message and "CSV" in error.hint
    assert seconds < QUICK  # stopped after the first few thousand rows, not the 200,000


def test_xlsx_cell_far_to_the_right_does_not_pad_every_row_to_sixteen_thousand_columns():
    rows = (f'<row r="{r}"><c r="XFD{r}"><v>1</v></c></row>'.encode() for r in range(1, 1001))
    error, seconds, peak_mb = _refusal(_workbook(_sheet(rows)), "wide.xlsx")
    assert "16,384 columns" in error.message
    assert seconds < QUICK and peak_mb < 50


def test_xlsx_holding_one_768_mib_cell_is_refused_from_its_zip_directory():
    chunk = b"x" * 2**20
    cell = (chunk for _ in range(768))
    header = b'<row r="1"><c r="A1" t="inlineStr"><is><t>a</t></is></c></row>'
    row = [header, b'<row r="2"><c r="A2" t="inlineStr"><is><t>', *cell, b"</t></is></c></row>"]
    data = _workbook(_sheet(row, "A1:A2"))
    assert len(data) < 2**20
    error, seconds, peak_mb = _refusal(data, "cell.xlsx")
    assert "768 MB" in error.message and "128 MB" in error.message
    assert seconds < QUICK and peak_mb < 50


def test_local_csv_larger_than_the_memory_limit_is_refused_before_reading(tmp_path):
    path = tmp_path / "big.csv"
    path.write_text("a,b\n" + "1,2\n" * 600_000)
    with pytest.raises(LimitExceededError) as caught:
        load_path(path, limits=Limits(max_memory_bytes=2**20))
    assert caught.value.message == "Reading this file would take about 2 MB of memory; the limit is 1 MB."


def test_csv_whose_numbers_outgrow_the_memory_limit_is_refused_before_pandas_copies_them(tmp_path):
    path = tmp_path / "numbers.csv"
    path.write_text("a,b\n" + "1,2\n" * 250_000)  # 1 MB of text, 4 MB of 64-bit numbers in Arrow
    with pytest.raises(LimitExceededError) as caught:
        load_path(path, limits=Limits(max_memory_bytes=2 * 2**20))
    assert caught.value.message == "Reading this file would take about 4 MB of memory; the limit is 2 MB."


def test_table_with_more_cells_than_the_limit_is_refused():
    data = b"a,b,c\n" + b"1,2,3\n" * 10
    with pytest.raises(LimitExceededError) as caught:
        load_bytes(data, "x.csv", limits=Limits(max_cells=20))
    assert caught.value.message == (
        "The table has 10 rows × 3 columns (30 cells); "
        "the limit is 5,000,000 rows, 2,000 columns and 20 cells."
    )


def test_default_limits_bound_memory_not_just_rows_times_columns():
    limits = DEFAULT.limits
    assert limits.max_rows * limits.max_columns > 10 * limits.max_cells  # the cell limit is what binds
    assert limits.max_cells * 8 <= limits.max_memory_bytes <= 2 * 2**30  # fits many sessions in 24 GB
    assert limits.max_workbook_bytes <= limits.max_memory_bytes


def test_json_that_would_inflate_past_the_memory_limit_is_refused_before_parsing(monkeypatch):
    data = json.dumps([{"a": 1}] * 20_000).encode()  # 200 kB of text, several MB of Python objects
    monkeypatch.setattr(json, "loads", None)  # parsing it would fail the test
    with pytest.raises(LimitExceededError) as caught:
        load_bytes(data, "records.json", limits=Limits(max_memory_bytes=2**20))
    assert caught.value.message == "Reading this file would take about 9 MB of memory; the limit is 1 MB."


_JSON_SHAPES = {
    "records": [
        {"id": i, "name": f"n{i % 100}", "x": i / 2, "flag": i % 2 == 0, "city": "Pau"} for i in range(5000)
    ],
    "tiny-records": [{"a": 1}] * 5000,
    "nested": [{"a": {"b": i, "c": {"d": str(i)}}, "e": [1, 2]} for i in range(5000)],
    "wide": [{f"k{j}": j for j in range(50)} for _ in range(500)],
    "columns": {"a": list(range(5000)), "b": [f"s{i}" for i in range(5000)]},
    "lists": [[i, i * 2] for i in range(5000)],
}


@pytest.mark.parametrize("shape", [*_JSON_SHAPES, "json-lines"])
def test_json_that_needs_more_memory_than_the_limit_is_refused_whatever_its_shape(shape):
    if shape == "json-lines":
        data = "\n".join(json.dumps({"a": i, "b": f"t{i}"}) for i in range(5000)).encode()
    else:
        data = json.dumps(_JSON_SHAPES[shape]).encode()
    tracemalloc.start()
    try:
        read_table(data)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    with pytest.raises(LimitExceededError):  # what reading really takes is over the limit: refused first
        read_table(data, limits=Limits(max_memory_bytes=peak))
    read_table(data, limits=Limits(max_memory_bytes=3 * peak))  # and the estimate is not wildly high


# ---------- 7. deeply nested JSON ----------


@pytest.mark.parametrize(
    "data",
    [
        b"[" * 100_000 + b"]" * 100_000,
        b'{"a":' * 100_000 + b"1" + b"}" * 100_000,
        b'{"a": 1}\n{"a": ' + b"[" * 100_000 + b"]" * 100_000 + b"}\n",
    ],
    ids=["arrays", "objects", "json-lines"],
)
def test_deeply_nested_json_is_a_plain_error_not_a_recursion_error(data, tmp_path, capsys):
    with pytest.raises(MalformedTableError) as caught:
        load_bytes(data, "deep.json")
    assert re.fullmatch(
        r"This JSON is nested 100,00[01] levels deep; a table needs only a few\.", caught.value.message
    )
    assert "records" in caught.value.hint
    path = tmp_path / "deep.json"
    path.write_bytes(data)
    assert main(["info", str(path)]) == 2
    assert capsys.readouterr().err.startswith(f"error: {caught.value.message}\nhint: ")


def test_deeply_nested_json_that_slips_past_the_scan_is_still_a_plain_error(monkeypatch):
    import mlcore.data.readers

    monkeypatch.setattr(mlcore.data.readers, "MAX_JSON_DEPTH", 10**9)  # the backstop: catching RecursionError
    with pytest.raises(MalformedTableError, match="nested too deeply"):
        load_bytes(b"[" * 100_000 + b"]" * 100_000, "deep.json")


def test_json_nested_a_few_levels_still_loads_flattened():
    record = {"a": 1}
    for level in range(20):
        record = {f"k{level}": record}
    frame = load_bytes(json.dumps([record, record]).encode(), "nested.json")[0].frame
    assert frame.shape == (2, 1)
    assert frame.iloc[:, 0].tolist() == [1, 1]


def test_json_with_brackets_and_escaped_quotes_inside_strings_is_not_counted_as_nesting():
    data = json.dumps([{"s": "[[[{{" * 200 + '\\"]]' + '"'}, {"s": "x"}]).encode()
    frame = load_bytes(data, "strings.json")[0].frame
    assert frame["s"].tolist()[1] == "x"


# ---------- 14. thousands separators and ambiguous dates ----------


def test_numbers_with_thousands_separators_are_read_as_numbers():
    data = b'name,amount\na,"1,234"\nb,"12,345.67"\nc,5\nd,"-1,000,000"\ne,\n'
    dataset = load_bytes(data, "money.csv")[0]
    values = dataset.frame["amount"]
    assert values.iloc[:4].tolist() == [1234.0, 12345.67, 5.0, -1000000.0]
    assert np.isnan(values.iloc[4])
    assert dataset.column("amount").ctype is ColumnType.NUMERIC
    assert dataset.read_info.thousands_columns == ("amount",)
    assert "'amount': numbers written with thousands separators (1,234 read as 1234)." in dataset.notes


def test_a_few_thousands_among_small_numbers_are_not_dropped_as_junk():
    dataset = load_bytes(b'n\n0\n7\n12\n"1,000"\n', "t.csv")[0]  # three plain numbers of four: still grouped
    assert dataset.frame["n"].tolist() == [0, 7, 12, 1000]
    assert dataset.coerced_cells == () and dataset.read_info.thousands_columns == ("n",)


def test_decimal_comma_file_with_dot_thousands_is_read_as_numbers():
    data = "ort;preis\nA;1.234,5\nB;12,5\nC;3.000.000\nD;7\n".encode("cp1252")
    dataset = load_bytes(data, "preise.csv")[0]
    assert dataset.read_info.decimal == ","
    assert dataset.frame["preis"].tolist() == [1234.5, 12.5, 3000000.0, 7.0]
    assert dataset.read_info.thousands_columns == ("preis",)
    assert any("1.234,5 read as 1234.5" in note for note in dataset.notes)


def test_only_dot_thousands_with_decimal_comma_are_sniffed_as_decimal_comma():
    dataset = load_bytes(b"a;b\n1.234,56;x\n2.000,5;y\n", "x.csv")[0]
    assert dataset.read_info.decimal == ","
    assert dataset.frame["a"].tolist() == [1234.56, 2000.5]


@pytest.mark.parametrize(
    "values",
    [
        ["1,2", "3,4", "5,6"],  # lists, not thousands: a group after the comma has three digits
        ["1,234", "1,2", "5,678"],  # one value breaks the pattern: the column is not consistent
        ["012,345", "078,901"],  # a leading zero: codes, not numbers
        ["1,2345", "2,3456"],
    ],
)
def test_comma_separated_lists_are_not_mistaken_for_thousands(values):
    text = "id,v\n" + "".join(f'{i},"{v}"\n' for i, v in enumerate(values))
    dataset = load_bytes(text.encode(), "lists.csv")[0]
    assert dataset.frame["v"].tolist() == values
    assert dataset.read_info.thousands_columns == ()


def test_thousands_in_text_cells_of_json_and_excel_are_read_as_numbers():
    frame = pd.DataFrame({"amount": ["1,234", "56", "7,890.5"]})
    xlsx = io.BytesIO()
    frame.to_excel(xlsx, index=False)
    for data, name in [(frame.to_json(orient="records").encode(), "x.json"), (xlsx.getvalue(), "x.xlsx")]:
        dataset = load_bytes(data, name)[0]
        assert dataset.frame["amount"].tolist() == [1234.0, 56.0, 7890.5]
        assert dataset.read_info.thousands_columns == ("amount",)


def test_ambiguous_dates_are_read_month_first_and_the_note_says_so():
    dataset = load_bytes(b"when,v\n05/02/2024,1\n06/03/2024,2\n12/11/2023,3\n", "d.csv")[0]
    assert dataset.frame["when"].tolist() == [
        pd.Timestamp("2024-05-02"),
        pd.Timestamp("2024-06-03"),
        pd.Timestamp("2023-12-11"),
    ]
    info = dataset.read_info
    assert info.ambiguous_dates == ("when",) and info.day_first is False
    note = next(n for n in dataset.notes if n.startswith("'when'"))
    assert "month first" in note and "05/02/2024 read as 2 May 2024" in note and "day first" in note


def test_a_day_above_twelve_proves_the_dates_are_day_first():
    dataset = load_bytes(b"when,v\n05/02/2024,1\n25/02/2024,2\n", "d.csv")[0]
    assert dataset.frame["when"].tolist() == [pd.Timestamp("2024-02-05"), pd.Timestamp("2024-02-25")]
    assert dataset.read_info.ambiguous_dates == () and dataset.read_info.day_first is True
    assert any(n.startswith("'when': read as dates, day first") for n in dataset.notes)


def test_a_second_number_above_twelve_proves_the_dates_are_month_first():
    dataset = load_bytes(b"when,v\n05/02/2024,1\n02/25/2024,2\n", "d.csv")[0]
    assert dataset.frame["when"].tolist() == [pd.Timestamp("2024-05-02"), pd.Timestamp("2024-02-25")]
    assert dataset.read_info.ambiguous_dates == () and dataset.read_info.day_first is False


def test_a_column_whose_values_need_both_orders_is_flagged_for_a_choice():
    dataset = load_bytes(b"when,v\n05/02/2024,1\n25/02/2024,2\n02/25/2024,3\n", "d.csv")[0]
    assert dataset.read_info.ambiguous_dates == ("when",) and dataset.read_info.day_first is False
    assert "'when': read as dates, month first; some values can only be read day first" in dataset.notes[0]
    assert dataset.frame["when"].tolist()[0] == pd.Timestamp("2024-05-02")


def test_the_evidence_for_the_date_order_comes_from_the_whole_column():
    days = [f"{d:02d}/{m:02d}/2024" for m in range(1, 13) for d in range(1, 13)] * 10  # 1,440 ambiguous
    text = "when\n" + "\n".join([*days, "25/12/2024"]) + "\n"
    dataset = load_bytes(text.encode(), "d.csv")[0]
    assert dataset.read_info.day_first is True and dataset.read_info.ambiguous_dates == ()
    assert dataset.frame["when"].iloc[1] == pd.Timestamp("2024-01-02")  # "02/01/2024": 2 January


def test_a_proven_order_in_one_column_is_used_for_an_ambiguous_one():
    data = b"start,end\n05/02/2024,06/02/2024\n25/02/2024,07/03/2024\n"
    dataset = load_bytes(data, "d.csv")[0]
    assert dataset.frame["end"].tolist() == [pd.Timestamp("2024-02-06"), pd.Timestamp("2024-03-07")]
    assert dataset.read_info.day_first is True and dataset.read_info.ambiguous_dates == ("end",)
    assert any(n.startswith("'end'") and "like 'start'" in n for n in dataset.notes)


def test_the_user_can_choose_day_first_for_ambiguous_dates():
    data = b"when,v\n05/02/2024,1\n06/03/2024,2\n"
    inferred = load_bytes(data, "d.csv")[0]
    chosen = load_bytes(data, "d.csv", ReadOptions(day_first=True))[0]
    assert chosen.frame["when"].tolist() == [pd.Timestamp("2024-02-05"), pd.Timestamp("2024-03-06")]
    assert chosen.read_info.day_first is True and chosen.read_info.ambiguous_dates == ("when",)
    assert any("day first, as you chose" in n for n in chosen.notes)
    assert chosen.content_hash != inferred.content_hash
    back = load_bytes(data, "d.csv", ReadOptions(day_first=False))[0]
    assert back.frame["when"].tolist() == inferred.frame["when"].tolist()


def test_decimal_comma_file_assumes_day_first_for_ambiguous_dates():
    dataset = load_bytes(b"datum;wert\n05.02.2024;1,5\n06.03.2024;2,5\n", "d.csv")[0]
    assert dataset.frame["datum"].tolist() == [pd.Timestamp("2024-02-05"), pd.Timestamp("2024-03-06")]
    assert dataset.read_info.day_first is True and dataset.read_info.ambiguous_dates == ("datum",)
    assert any("day first" in n and "assumed" in n for n in dataset.notes)


def test_iso_dates_are_not_ambiguous():
    dataset = load_bytes(b"day,v\n2024-01-05,1\n2024-02-10,2\n", "d.csv")[0]
    assert dataset.frame["day"].dt.month.tolist() == [1, 2]
    assert dataset.read_info.ambiguous_dates == () and dataset.read_info.day_first is False


# ---------- 15. messages that say the wrong thing ----------


@pytest.mark.parametrize("data", [b"hello world\n", b"not json at all"])
def test_a_json_file_that_is_not_json_says_so(data):
    with pytest.raises(MalformedTableError) as caught:
        load_bytes(data, "records.json")
    assert caught.value.message == "This file is not valid JSON."
    assert "no rows" not in caught.value.message and caught.value.hint


@pytest.mark.parametrize("data", [b"[]", b"{}", b"[{}, {}]"])
def test_json_without_fields_says_there_is_no_table_not_that_rows_are_missing(data):
    with pytest.raises(EmptyFileError) as caught:
        load_bytes(data, "records.json")
    assert caught.value.message == "The file holds no table: it has no columns."


@pytest.mark.parametrize(
    ("data", "where"),
    [(b'[{"a": 1},\n {"a": 2]', "line 2, column 9"), (b'{"a": 1,, }', "line 1, column 9")],
)
def test_broken_json_says_where_it_stops_being_json(data, where):
    with pytest.raises(MalformedTableError) as caught:
        load_bytes(data, "records.json")
    assert caught.value.message == f"This file is not valid JSON: it stops making sense at {where}."
    _assert_plain(caught.value, "Expecting", "delimiter")


def test_broken_json_lines_name_the_line():
    with pytest.raises(MalformedTableError) as caught:
        load_bytes(b'{"a": 1}\n{"a": 2}\n{"a": \n', "rows.jsonl")
    assert caught.value.message == "This file is not valid JSON: it stops making sense at line 3, column 7."


def _truncated_workbook() -> bytes:
    buffer = io.BytesIO()
    pd.DataFrame({"a": range(100)}).to_excel(buffer, index=False)
    return buffer.getvalue()[:3000]


def _zip(**members: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, text in members.items():
            archive.writestr(name.replace("__", "/"), text)
    return buffer.getvalue()


@pytest.mark.parametrize(
    "data",
    [
        np.random.default_rng(0).bytes(5000),
        _zip(hello__txt="hi"),
        _zip(**{"[Content_Types].xml": "<x/>", "word__document.xml": "<x/>"}),
        _truncated_workbook(),
        b"PK\x03\x04" + b"xl/" + np.random.default_rng(1).bytes(3000),
    ],
    ids=["random-bytes", "plain-zip", "word-document", "truncated-workbook", "zip-header-junk"],
)
def test_junk_named_xlsx_is_not_a_readable_excel_workbook(data):
    with pytest.raises(MalformedTableError) as caught:
        load_bytes(data, "book.xlsx")
    assert caught.value.message == "This file is not a readable Excel workbook."
    _assert_plain(caught.value, "zip archive", "workbook part", "zip file")


def test_a_plain_zip_named_csv_is_still_called_a_zip_archive():
    with pytest.raises(UnsupportedFormatError, match="zip archive"):
        load_bytes(_zip(inside__csv="a,b\n1,2\n"), "x.csv")


def test_a_png_named_xlsx_is_still_called_a_png_image(bad_dir):
    with pytest.raises(DataLoadError, match="PNG image"):
        load_bytes((bad_dir / "png_renamed.csv").read_bytes(), "picture.xlsx")


@pytest.mark.parametrize("cut", ["truncated", "scrambled", "footer-only"])
def test_a_broken_parquet_file_shows_no_reader_internals(cut):
    data = pd.DataFrame({"a": range(100)}).to_parquet()
    broken = {
        "truncated": data[: len(data) // 2] + b"PAR1",
        "scrambled": data[:4] + np.random.default_rng(2).bytes(len(data) - 12) + data[-8:],
        "footer-only": b"PAR1" + b"\x00" * 8 + b"PAR1",
    }[cut]
    with pytest.raises(MalformedTableError) as caught:
        load_bytes(broken, "x.parquet")
    assert caught.value.message == "This file is not a readable Parquet file."
    _assert_plain(caught.value, "Buffer", "footer", "bytes")


@pytest.mark.parametrize(
    ("data", "internals"),
    [
        (b"a" * 200_000 + b",b\n1,2\n", ("field limit", "131072")),
        (b'a;b\n1,5;"x\n2,5;y\n', ("C error", "tokenizing", "EOF")),
    ],
    ids=["huge-header-field", "unclosed-quote"],
)
def test_broken_text_messages_carry_no_parser_internals(data, internals):
    with pytest.raises(MalformedTableError) as caught:
        load_bytes(data, "x.csv")
    assert caught.value.message.startswith("The text could not be read as a table")
    _assert_plain(caught.value, *internals)


def test_the_bounded_excel_reader_reads_what_pandas_read_excel_reads():
    """train.py reads workbooks with pd.read_excel: our bounded reader must give the same frame."""
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["n", "x", "text", "when", "flag", "mixed", None, "dup", "dup"])
    sheet.append([1, 2.0, "NA", pd.Timestamp("2024-01-05").to_pydatetime(), True, 1, "u", 1, 2])
    sheet.append([2, 2.5, "", None, False, "two", None, 3, 4])
    sheet.append([])
    sheet.append([3, None, "n/a", pd.Timestamp("2024-03-01").to_pydatetime(), None, 3.5, "w", 5, 6])
    sheet.append([4, 7.25, "text", None, True, None, None, None, None, None, None])
    sheet.cell(row=9, column=2, value=9)  # rows 7 and 8 are missing from the XML entirely
    buffer = io.BytesIO()
    book.save(buffer)
    data = buffer.getvalue()
    ours = read_table(data).frame
    theirs = pd.read_excel(io.BytesIO(data), sheet_name=0)
    assert ours.shape == theirs.shape == (8, 9)
    pd.testing.assert_frame_equal(ours.set_axis(range(9), axis=1), theirs.set_axis(range(9), axis=1))
