"""Loading a 1M-row × 21-column CSV: mlcore's loader against pyarrow.csv.read_csv on the same file.

Target (issue 2): at most 1.5× pyarrow's wall time and 2× its peak memory. Both are measured in
fresh processes, in turns, best of five, in the same run.
"""

from __future__ import annotations

from bench.common import bench_table, markdown_table, measure_interleaved, write_section

ROWS = 1_000_000


def main() -> None:
    path = bench_table(ROWS)
    size_mib = path.stat().st_size / 2**20
    cases = {
        "pyarrow.csv.read_csv (reference)": f"""
import pyarrow.csv
def work():
    global table
    table = pyarrow.csv.read_csv({str(path)!r})
""",
        "pyarrow read_csv + to_pandas": f"""
import pyarrow.csv
def work():
    global frame
    frame = pyarrow.csv.read_csv({str(path)!r}).to_pandas()
""",
        "mlcore load_path (sniff, read, tidy, schema, hash)": f"""
from mlcore.data.loading import load_path
def work():
    global dataset
    dataset = load_path({str(path)!r})
""",
    }
    results = measure_interleaved(cases)
    reference = results["pyarrow.csv.read_csv (reference)"]
    rows = [
        [
            name,
            f"{r['seconds']:.2f}",
            f"{r['seconds'] / reference['seconds']:.2f}×",
            f"{r['peak_mib']:.0f}",
            f"{r['peak_mib'] / reference['peak_mib']:.2f}×",
        ]
        for name, r in results.items()
    ]
    ours = results["mlcore load_path (sniff, read, tidy, schema, hash)"]
    verdict = (
        f"Target: time ≤ 1.5× and peak memory ≤ 2× pyarrow. Measured: "
        f"{ours['seconds'] / reference['seconds']:.2f}× time, "
        f"{ours['peak_mib'] / reference['peak_mib']:.2f}× memory."
    )
    body = (
        f"File: `make_table.py {ROWS}` ({size_mib:.0f} MiB CSV, 1,000,000 rows × 21 columns). "
        "Best of 5 fresh processes per loader, taken in turns; peak memory is the growth of the "
        "process's maximum RSS.\n\n"
        + markdown_table(["loader", "seconds", "time ratio", "peak MiB", "memory ratio"], rows)
        + f"\n\n{verdict}"
    )
    write_section("load", "Loading a 1M-row CSV (issue 2)", body)


if __name__ == "__main__":
    main()
