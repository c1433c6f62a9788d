"""The overview of a table five times the memory limit (issue 18): `summarize` against DuckDB's SUMMARIZE.

The table has the standard bench table's shape (an id, 17 numbers of which 16 with 5% missing, three
categories and a yes/no target) and enough rows that its Parquet footer's unpacked size, the estimate
the readers check against the memory limit, is five times `Limits.max_memory_bytes`. It is written by
DuckDB in a separate process (so this one stays small: a child's peak RSS starts from its parent's)
into a temporary folder, removed after. Both scans run in fresh processes with the same DuckDB session
(memory limit, threads, spill folder), taken in turns; best of two. Target: at most 2× SUMMARIZE.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

import duckdb
import pyarrow.parquet as pq

from bench.common import markdown_table, measure_interleaved, write_section
from mlcore.settings import DEFAULT

TIMES_MEMORY = 5
BYTES_PER_ROW = 141  # the footer's unpacked bytes per row of this table, measured on 4,000,000 rows
ROUNDS = 2
SAMPLE_CASE = "mlcore sample of the default size (for information)"

MAKE = """
import duckdb, sys
numbers = ", ".join(
    f"CASE WHEN random() < 0.05 THEN NULL ELSE random() * {{i + 1}} - 0.5 END AS num_{{i}}" for i in range(16)
)
query = f'''SELECT range AS id, {{numbers}},
    ['high', 'low', 'mid'][1 + (hash(range) % 3)::INT] AS cat_a,
    CASE WHEN random() < 0.05 THEN NULL ELSE chr(97 + (range * 7 % 8)::INT) END AS cat_b,
    'v' || (1 + range % 5) AS cat_c, random() AS num_ok,
    CASE WHEN random() < 0.3 THEN 'yes' ELSE 'no' END AS target
FROM range({rows})'''
connection = duckdb.connect(config={{"memory_limit": "1GB", "autoload_known_extensions": False}})
connection.execute("SET enable_progress_bar = false")
connection.execute(f"COPY ({{query}}) TO '{path}' (FORMAT parquet)")
"""

OURS = """
from pathlib import Path
from mlcore.data.large_tables import summarize
def work():
    summarize(Path({path!r}))
"""

SUMMARIZE = """
import tempfile
from pathlib import Path
from mlcore.data.duckdb_scan import open_scan, session
from mlcore.settings import DEFAULT
def work():
    scan = open_scan(Path({path!r}))
    sql, params = scan.source()
    with tempfile.TemporaryDirectory() as folder, session(scan, DEFAULT.limits, Path(folder)) as connection:
        connection.sql(f"SUMMARIZE SELECT * FROM {{sql}}", params=params).fetchall()
"""

SAMPLE = """
from pathlib import Path
from mlcore.data.duckdb_scan import ENGINE
from mlcore.data.large_tables import default_sample_rows, sample
from mlcore.origin import WholeTable
path = Path({path!r})
rows = default_sample_rows(WholeTable({rows}, (), 0.0, ENGINE), path)  # it needs the row count only
def work():
    sample(path, rows, 0)
"""


def _make_table(path: Path, rows: int) -> None:
    code = MAKE.format(rows=rows, path=str(path).replace("'", "''"))
    subprocess.run([sys.executable, "-c", code], check=True)


def main() -> None:
    limit = DEFAULT.limits.max_memory_bytes
    rows = -(-TIMES_MEMORY * limit // BYTES_PER_ROW)
    with tempfile.TemporaryDirectory(prefix="bench-large-") as folder:
        path = Path(folder) / "large.parquet"
        _make_table(path, rows)
        meta = pq.read_metadata(path)
        unpacked = sum(meta.row_group(i).total_byte_size for i in range(meta.num_row_groups))
        on_disk = path.stat().st_size
        cases = {
            "DuckDB SUMMARIZE (reference)": SUMMARIZE.format(path=str(path)),
            "mlcore summarize (statistics, exact counts, top values)": OURS.format(path=str(path)),
            SAMPLE_CASE: SAMPLE.format(path=str(path), rows=rows),
        }
        results = measure_interleaved(cases, repeat=ROUNDS)
        # Imported once the measures are taken: a child's peak RSS starts from this process's
        from mlcore.data.duckdb_scan import ENGINE
        from mlcore.data.large_tables import default_sample_rows
        from mlcore.origin import WholeTable

        sample_rows = default_sample_rows(WholeTable(rows, (), 0.0, ENGINE), path)  # as the child does
    reference = results["DuckDB SUMMARIZE (reference)"]
    ours = results["mlcore summarize (statistics, exact counts, top values)"]
    ratio = ours["seconds"] / reference["seconds"]
    table = [
        [name, f"{r['seconds']:.1f}", f"{r['seconds'] / reference['seconds']:.2f}×", f"{r['peak_mib']:.0f}"]
        for name, r in results.items()
    ]
    body = (
        f"Table: {rows:,} rows × {meta.num_columns} columns (an id, 17 numbers, 3 categories, a target), "
        f"Parquet with Snappy: {on_disk / 2**30:.1f} GiB on disk, {unpacked / 2**30:.1f} GiB unpacked by "
        f"its footer, {unpacked / limit:.1f}× the memory limit of {limit / 2**30:.0f} GiB. DuckDB "
        f"{duckdb.__version__} with mlcore's session for both scans (half the memory limit, "
        f"spilling to a temporary folder, Parquet read page by page). Fresh processes in turns, best of "
        f"{ROUNDS}; peak memory is the growth of the process's maximum RSS after its imports.\n\n"
        + markdown_table(["scan", "seconds", "time ratio", "peak MiB"], table)
        + f"\n\nThe default sample (an eighth of the memory limit by the footer's bytes per row) is "
        f"{sample_rows:,} rows. Target: at most 2× SUMMARIZE. Measured: {ratio:.2f}× "
        f"its time, with {ours['peak_mib']:.0f} MiB against its {reference['peak_mib']:.0f} MiB at peak "
        f"(the limit is {limit / 2**20:,.0f} MiB). SUMMARIZE computes its three quartiles as three "
        "t-digests per column; `summarize` computes them in one, and counts the values of the columns "
        "with few of them (exact distinct counts, top values) in a second pass."
    )
    write_section("large_tables", "Overview of a table 5× the memory limit through DuckDB (issue 18)", body)


if __name__ == "__main__":
    main()
