"""Tables larger than memory (issue 18): DuckDB's statistics of every row, the uniform sample, the Dataset."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from dataclasses import replace
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from mlcore.data.duckdb_scan import ENGINE, first_row, open_scan, session
from mlcore.data.large_tables import (
    EXACT_DISTINCT,
    SAMPLE_SHARE,
    chosen_rows,
    default_sample_rows,
    load_large,
    sample,
    summarize,
    too_large,
)
from mlcore.data.loading import load_path
from mlcore.data.readers import read_table
from mlcore.errors import (
    DataLoadError,
    EmptyFileError,
    LimitExceededError,
    MalformedTableError,
    NotATableError,
    UnsupportedFormatError,
)
from mlcore.origin import Origin
from mlcore.settings import DEFAULT

ROOT = Path(__file__).resolve().parents[2]


def _frame(n: int = 3_000, seed: int = 0) -> pd.DataFrame:
    """Numbers with gaps, a low-cardinality text column with distinct counts, a small integer column."""
    rng = np.random.default_rng(seed)
    colour = np.array(["red"] * 5 + ["green"] * 3 + ["blue"] * 2 + [None])[rng.integers(0, 11, n)]
    colour[:7] = ["violet", "violet", "violet", "violet", "amber", "amber", "amber"]
    return pd.DataFrame(
        {
            "id": np.arange(n),
            "x": np.where(rng.random(n) < 0.1, np.nan, rng.normal(10, 3, n)),
            "colour": colour,
            "level": rng.integers(0, 9, n),
            "big": rng.normal(0, 1e12, n),
        }
    )


def _write(frame: pd.DataFrame, path: Path) -> Path:
    if path.suffix == ".parquet":
        frame.to_parquet(path, index=False)
    else:
        frame.to_csv(path, index=False)
    return path


@pytest.fixture(params=["parquet", "csv"])
def small_file(request, tmp_path) -> tuple[Path, pd.DataFrame]:
    frame = _frame()
    return _write(frame, tmp_path / f"t.{request.param}"), frame


# ---------- statistics ----------


def test_statistics_equal_pandas(small_file):
    path, frame = small_file
    whole = summarize(path)
    assert whole.rows == len(frame)
    assert whole.engine == ENGINE
    stats = {c.name: c for c in whole.columns}
    assert list(stats) == list(frame.columns)
    for name in ("id", "x", "level", "big"):
        values, c = frame[name], stats[name]
        assert (c.count, c.missing) == (values.count(), values.isna().sum())
        assert float(c.min) == values.min() and float(c.max) == values.max()
        assert c.mean == pytest.approx(values.mean(), rel=1e-9)
        assert c.std == pytest.approx(values.std(), rel=1e-9)
        spread = values.max() - values.min()
        for q, approx in zip((0.25, 0.5, 0.75), (c.q25, c.q50, c.q75), strict=True):
            assert abs(approx - values.quantile(q)) <= 0.02 * spread
    assert stats["level"].distinct == frame["level"].nunique() == 9
    assert abs(stats["x"].distinct - frame["x"].nunique()) <= 0.05 * frame["x"].nunique()
    colour = stats["colour"]
    assert (colour.count, colour.missing) == (frame["colour"].count(), frame["colour"].isna().sum())
    present = frame["colour"].dropna()
    assert (colour.min, colour.max) == (present.min(), present.max())
    assert colour.distinct == frame["colour"].nunique() == 5
    assert colour.mean is None and colour.q50 is None
    assert colour.top == tuple(frame["colour"].value_counts().items())
    assert stats["id"].top == ()  # numbers keep no top values


def test_nan_counts_as_missing_like_pandas(tmp_path):
    path = tmp_path / "nan.parquet"
    values = np.array([1.0, np.nan, 3.0, np.nan, 5.0])
    pq.write_table(pa.table({"v": pa.array(values)}), path)  # NaN stored as a value, not as null
    (c,) = summarize(path).columns
    assert (c.count, c.missing, c.max, c.mean) == (3, 2, "5.0", 3.0)


def test_decimal_comma_csv_read_as_our_reader_reads_it(tmp_path):
    path = tmp_path / "eu.csv"
    path.write_text("name;price;count\nA;1,5;3\nB;2,25;NA\nC;;4\n")
    stats = {c.name: c for c in summarize(path).columns}
    assert stats["price"].dtype == "DOUBLE"
    assert stats["price"].mean == pytest.approx(1.875)
    assert (stats["count"].count, stats["count"].missing) == (2, 1)  # NA is missing, as our reader has it


def test_a_late_value_that_misfits_the_first_rows_type(tmp_path):
    path = tmp_path / "late.csv"
    path.write_text("v\n" + "".join(f"{i}\n" for i in range(60_000)) + "not a number\n")
    (c,) = summarize(path).columns
    assert c.dtype == "VARCHAR" and c.count == 60_001


def test_hostile_column_names(tmp_path):
    """Quotes, spaces, SQL, duplicates, an empty name, case twins: named as a normal load names them."""
    text = tmp_path / "hostile.csv"
    text.write_text('a,a,,"q""x",A,é ü,"x; DROP TABLE t; --"\n1,2,3,4,5,6,7\n8,9,10,11,12,13,14\n')
    table = pa.table([[1, 2], [3, 4], ["u", "v"], [5, 6]], names=["a", "A", 'q"x y', "Ω 'z'"])
    parquet = tmp_path / "hostile.parquet"
    pq.write_table(table, parquet)
    for path in (text, parquet):
        whole = summarize(path)
        loaded = load_path(path).frame
        assert [c.name for c in whole.columns] == list(loaded.columns)
        for c in whole.columns:
            values = loaded[c.name]
            assert (c.min, c.max) == (str(values.min()), str(values.max()))
        assert list(sample(path, 1, 0).frame.columns) == list(loaded.columns)


def test_exact_counts_stop_at_many_values(tmp_path):
    path = tmp_path / "many.parquet"
    n = 3 * EXACT_DISTINCT
    pd.DataFrame({"word": [f"w{i}" for i in range(n)], "few": [f"f{i % 4}" for i in range(n)]}).to_parquet(
        path
    )
    stats = {c.name: c for c in summarize(path).columns}
    assert stats["word"].top == ()  # too many values to count exactly: approximate distinct, no top
    assert abs(stats["word"].distinct - n) <= 0.05 * n
    assert stats["few"].distinct == 4 and stats["few"].top[0][1] == n // 4


# ---------- refusals ----------


@pytest.mark.parametrize(
    ("content", "error"),
    [
        (b"", EmptyFileError),
        (b"\x89PNG\r\n\x1a\n" + bytes(100), NotATableError),
        (b"PAR1" + bytes(range(256)) * 4 + b"PAR1", MalformedTableError),
        (b'[{"a": 1}]', UnsupportedFormatError),
        (b"a,b\n1,2\n3,4,5\n", MalformedTableError),
        (b"a,b\n", EmptyFileError),
        ("a;b\n1;caf\u00e9 \u20ac\n".encode("cp1252"), MalformedTableError),
    ],
)
def test_refusals_are_typed(tmp_path, content, error):
    path = tmp_path / "table"
    path.write_bytes(content)
    with pytest.raises(error) as caught:
        summarize(path)
    assert caught.value.hint


def test_a_missing_file(tmp_path):
    with pytest.raises(DataLoadError, match="no file"):
        summarize(tmp_path / "absent.parquet")


def test_the_session_reads_its_file_and_nothing_else(tmp_path):
    """No network, no other file, no extension installed or loaded."""
    path = _write(_frame(10), tmp_path / "t.parquet")
    other = _write(_frame(10), tmp_path / "other.csv")
    scan = open_scan(path)
    spill = tmp_path / "spill"
    spill.mkdir()
    with session(scan, DEFAULT.limits, spill) as connection:
        names = ("autoinstall_known_extensions", "autoload_known_extensions", "enable_external_access")
        settings = first_row(connection, "SELECT " + ", ".join(f"current_setting('{n}')" for n in names))
        assert settings == (False, False, False)
        assert first_row(connection, "SELECT count(*) FROM read_parquet(?)", [str(path)]) == (10,)
        for elsewhere in (str(other), "https://example.com/t.parquet"):
            with pytest.raises(duckdb.PermissionException):
                connection.sql("SELECT * FROM read_csv(?)", params=[elsewhere]).fetchall()


# ---------- the sample ----------


def test_sample_is_reproducible_uniform_and_in_file_order(tmp_path):
    n, k = 1_000_000, 10_000
    path = tmp_path / "range.parquet"
    pq.write_table(pa.table({"i": np.arange(n)}), path)
    first = sample(path, k, seed=7).frame["i"].to_numpy()
    assert np.array_equal(first, sample(path, k, seed=7).frame["i"].to_numpy())
    assert np.array_equal(first, chosen_rows(n, k, 7))  # the rows at the chosen positions, in file order
    assert len(set(first) ^ set(sample(path, k, seed=8).frame["i"])) > k  # another seed, other rows
    assert len(np.unique(first)) == k
    # Uniform: the mean of k draws without replacement from 0..n-1, and each half's share
    standard_error = np.sqrt((n**2 - 1) / 12 / k * (n - k) / (n - 1))
    assert abs(first.mean() - (n - 1) / 2) < 4 * standard_error
    assert abs((first < n // 2).sum() - k / 2) < 4 * np.sqrt(k / 4)
    deciles = np.bincount(first * 10 // n, minlength=10)
    assert deciles.min() > k / 10 - 4 * np.sqrt(k / 10)


def test_chosen_rows_depend_on_the_seed_only():
    assert np.array_equal(chosen_rows(5_000_000, 1_000, 3), chosen_rows(5_000_000, 1_000, 3))
    assert not np.array_equal(chosen_rows(5_000_000, 1_000, 3), chosen_rows(5_000_000, 1_000, 4))
    assert np.array_equal(chosen_rows(10, 50, 0), np.arange(10))


def test_sample_of_csv_typed_as_a_normal_load(tmp_path):
    path = tmp_path / "mixed.csv"
    path.write_text(
        "when;amount;label;flag;thousands\n"
        + "".join(
            f"2024-01-{d:02d};{d},5;w{d % 3};{'yes' if d % 2 else 'no'};1.{d:03d}\n" for d in range(1, 29)
        )
        + ";NA;;;\n"
    )
    whole = read_table(path)
    part = sample(path, 10, seed=1)
    assert part.frame.dtypes.equals(whole.frame.dtypes)
    assert part.info == whole.info and part.notes == whole.notes
    all_rows = sample(path, 1_000, seed=1)
    pd.testing.assert_frame_equal(all_rows.frame, whole.frame)
    loaded = load_large(path, "mixed.csv", "file: mixed.csv", sample_rows=1_000)
    assert loaded.frame.dtypes.equals(load_path(path).frame.dtypes)


def test_sample_of_parquet_typed_as_a_normal_load(tmp_path):
    n = 300
    frame = pd.DataFrame(
        {
            "small": np.arange(n, dtype="uint8"),
            "kind": pd.Categorical(np.where(np.arange(n) % 2, "x", "y")),
            "at": pd.date_range("2024-01-01", periods=n, freq="h", tz="Europe/Paris"),
            "maybe": pd.array([None if i % 7 == 0 else i for i in range(n)], dtype="Int64"),
            "text": [f"t{i}" if i % 5 else None for i in range(n)],
        },
        index=pd.Index(np.arange(n) * 2, name="key"),
    )
    path = tmp_path / "typed.parquet"
    frame.to_parquet(path)
    whole = read_table(path).frame
    part = sample(path, 40, seed=2).frame
    assert part.dtypes.equals(whole.dtypes) and part.index.name == "key"
    pd.testing.assert_frame_equal(whole.loc[part.index], part, check_categorical=False)
    assert [c.name for c in summarize(path).columns] == list(whole.columns)  # the index is not a column


def test_a_windows_1252_file_reads_as_our_reader_reads_it(tmp_path):
    path = tmp_path / "latin.csv"
    path.write_bytes("ville;prix\nCréteil;1,5\nAnnecy;2,5\nSète;3\n".encode("cp1252"))
    stats = {c.name: c for c in summarize(path).columns}
    assert (stats["ville"].min, stats["ville"].max) == ("Annecy", "Sète")
    whole, part = read_table(path), sample(path, 10, seed=0)
    assert part.info == whole.info and part.info.encoding == "cp1252"
    pd.testing.assert_frame_equal(part.frame, whole.frame)


def test_a_parquet_type_arrow_cannot_take_back_from_duckdb_is_sampled_as_text(tmp_path):
    path = tmp_path / "odd.parquet"
    with duckdb.connect() as writer:
        rows = "SELECT range AS n, uuid() AS id, INTERVAL 1 DAY * range AS wait FROM range(50)"
        writer.execute(f"COPY ({rows}) TO '{path}'")
    frame = sample(path, 10, seed=0).frame
    assert frame["n"].dtype == "int64" and len(frame) == 10
    assert frame["id"].str.len().eq(36).all() and frame["wait"].str.endswith("days").sum() >= 8


def test_a_parquet_file_with_no_rows(tmp_path):
    path = tmp_path / "none.parquet"
    pq.write_table(pa.table({"a": pa.array([], pa.int64())}), path)
    for read in (summarize, lambda p: sample(p, 5, 0)):
        with pytest.raises(EmptyFileError):
            read(path)


def test_a_sample_that_does_not_fit_is_refused(tmp_path):
    path = _write(_frame(1_000_000), tmp_path / "t.parquet")  # about 40 bytes a row
    tight = replace(DEFAULT.limits, max_memory_bytes=32 * 2**20)
    with pytest.raises(LimitExceededError, match="memory") as caught:
        sample(path, 1_000_000, 0, tight)
    assert "fewer rows" in caught.value.hint
    with pytest.raises(LimitExceededError, match="rows") as caught:
        sample(path, 20_000, 0, replace(DEFAULT.limits, max_rows=10_000))
    assert "fewer rows" in caught.value.hint
    with pytest.raises(DataLoadError, match="at least one row"):
        sample(path, 0, 0)


def test_default_sample_rows(tmp_path):
    path = _write(_frame(100_000), tmp_path / "t.parquet")
    whole = summarize(path)
    assert default_sample_rows(whole, path) == 100_000  # fits: every row
    meta = pq.read_metadata(path)
    per_row = sum(meta.row_group(i).total_byte_size for i in range(meta.num_row_groups)) / 100_000
    tight = replace(DEFAULT.limits, max_memory_bytes=2**20)
    assert default_sample_rows(whole, path, tight) == int(tight.max_memory_bytes * SAMPLE_SHARE / per_row)
    assert default_sample_rows(whole, path, replace(DEFAULT.limits, max_rows=1_000)) == 1_000


# ---------- the Dataset ----------


def test_load_large_gives_a_sampled_dataset_that_says_so(tmp_path):
    path = _write(_frame(20_000), tmp_path / "t.csv")
    dataset = load_large(path, "t.csv", "file: t.csv", sample_rows=500, seed=4)
    origin = dataset.origin
    assert dataset.n_rows == 500 == origin.sampled_rows
    assert (origin.total_rows, origin.sample_seed, origin.location) == (20_000, 4, "t.csv")
    assert origin.whole.rows == 20_000 and origin.read_at
    assert "uniform random sample of 500 of its 20,000 rows (seed 4)" in origin.sentence()
    assert Origin.from_dict(json.loads(json.dumps(origin.to_dict()))) == origin
    again = load_large(path, "t.csv", "file: t.csv", sample_rows=500, seed=4, whole=origin.whole)
    assert again.content_hash == dataset.content_hash
    assert again.frame.equals(dataset.frame)
    other = load_large(path, "t.csv", "file: t.csv", sample_rows=500, seed=5, whole=origin.whole)
    assert other.content_hash != dataset.content_hash


def test_load_large_completes_a_database_origin(tmp_path):
    path = _write(_frame(2_000), tmp_path / "export.parquet")
    given = Origin(location="postgresql://me@db/shop", table="orders", read_at="2026-01-01T00:00:00+00:00")
    dataset = load_large(path, "orders", "database: orders", origin=given)
    origin = dataset.origin
    assert (origin.location, origin.table, origin.read_at) == (given.location, given.table, given.read_at)
    assert origin.total_rows == origin.sampled_rows == dataset.n_rows == 2_000


# ---------- too large? ----------


def test_too_large(tmp_path):
    parquet = _write(_frame(100_000), tmp_path / "t.parquet")
    text = _write(_frame(100_000), tmp_path / "t.csv")
    for path in (parquet, text):
        assert not too_large(path)
        assert too_large(path, replace(DEFAULT.limits, max_memory_bytes=2 * 2**20))
        assert too_large(path, replace(DEFAULT.limits, max_rows=50_000))
    tall = tmp_path / "tall.csv"
    tall.write_text("v\n" + "1\n" * 200_000)  # a small file of many rows
    assert too_large(tall, replace(DEFAULT.limits, max_rows=150_000))
    assert not too_large(tall, replace(DEFAULT.limits, max_rows=250_000))
    json_file = tmp_path / "t.json"
    json_file.write_text('[{"a": 1}]')
    assert not too_large(json_file, replace(DEFAULT.limits, max_memory_bytes=1))  # read whole, or refused


# ---------- the test: 3 GB through DuckDB within the memory limit ----------

_MEASURE = """
import json, sys, time
from pathlib import Path
from mlcore.data.large_tables import summarize

def status(field):  # bytes, from the kernel's account of this process
    line = next(l for l in Path("/proc/self/status").read_text().splitlines() if l.startswith(field + ":"))
    return int(line.split()[1]) * 1024

Path("/proc/self/clear_refs").write_text("5")  # the peak RSS (VmHWM) back to the current RSS
before = status("VmRSS")
start = time.perf_counter()
whole = summarize(Path(sys.argv[1]))
seconds = time.perf_counter() - start
grown = status("VmHWM") - before
stats = {c.name: [c.count, c.missing, c.min, c.max, c.mean, list(map(list, c.top))] for c in whole.columns}
print(json.dumps({"rows": whole.rows, "grown": grown, "seconds": seconds, "stats": stats}))
"""


def test_a_3_gb_parquet_file_is_profiled_within_the_memory_limit(tmp_path):
    """Every row of a file three times the memory limit, in a fresh process whose peak RSS is measured
    (its VmHWM: ru_maxrss would keep the pytest process's peak across the fork and exec)."""
    n = 3_650_000
    path = tmp_path / "big.parquet"
    generator = duckdb.connect(config={"memory_limit": "512MB", "autoload_known_extensions": False})
    try:
        generator.execute(
            f"COPY (SELECT range AS id, range / 2 AS half, ['a', 'b', 'c'][1 + range % 3] AS kind,"
            f" CASE WHEN range % 10 = 0 THEN NULL ELSE repeat('x', 960) || range::VARCHAR END AS text"
            f" FROM range({n})) TO '{path}' (FORMAT parquet, COMPRESSION uncompressed)"
        )
        generator.close()
        assert path.stat().st_size >= 3 * 2**30
        out = subprocess.run(
            [sys.executable, "-c", _MEASURE, str(path)],
            capture_output=True,
            text=True,
            check=True,
            cwd=ROOT,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
        )
    finally:
        path.unlink(missing_ok=True)
    result = json.loads(out.stdout.strip().splitlines()[-1])
    print(f"3 GB summarize: {result['seconds']:.1f} s, peak RSS growth {result['grown'] / 2**20:.0f} MiB")
    assert result["grown"] < DEFAULT.limits.max_memory_bytes
    stats = result["stats"]
    assert result["rows"] == n
    assert stats["id"][:4] == [n, 0, "0", str(n - 1)] and stats["id"][4] == pytest.approx(
        (n - 1) / 2, rel=1e-12
    )
    assert stats["half"][4] == pytest.approx((n - 1) / 4, rel=1e-12)
    assert stats["kind"][5] == [["a", (n + 2) // 3], ["b", (n + 1) // 3], ["c", n // 3]]
    assert stats["text"][:2] == [n - (n + 9) // 10, (n + 9) // 10]


def test_temporary_files_are_removed(tmp_path, monkeypatch):
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    path = _write(_frame(1_000), tmp_path / "t.parquet")
    load_large(path, "t", "file: t", sample_rows=10)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["t.parquet"]
