"""cluster.py: fit the clustering again on the original file and write every row's cluster."""

from __future__ import annotations

import argparse
import json
import warnings

import numpy as np
from _script import (
    FEATURES,
    LABEL_COLUMN,
    SAMPLE_ROWS,
    SEED,
    _label_the_rest,
    build_pipeline,
    cluster_sizes,
    escape_formulas,
    read_data,
    sample_rows,
)
from threadpoolctl import threadpool_limits


def cluster(frame):
    """Every row's cluster as the workbench found it: the preparation fitted on every row, the algorithm
    on every row or on the same random sample of SAMPLE_ROWS rows, whose nearest rows the others join."""
    pipeline = build_pipeline()
    prep, estimator = pipeline.steps[0][1], pipeline.steps[-1][1]
    matrix = np.asarray(prep.fit_transform(frame[FEATURES]), dtype=np.float64, order="C")
    if SAMPLE_ROWS is None:
        return estimator.fit_predict(matrix)
    rows = sample_rows(len(matrix), SAMPLE_ROWS, SEED)
    fitted = matrix[rows]
    return _label_the_rest(estimator, fitted, estimator.fit_predict(fitted), matrix, rows)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data", help="the original data file")
    parser.add_argument(
        "-o", "--output", default="labelled.csv", help="the CSV to write: the table with each row's cluster"
    )
    args = parser.parse_args()
    warnings.filterwarnings("ignore")  # convergence and similar warnings do not change the labels
    threadpool_limits(1)  # one thread, as in the workbench: sums come out in the same order
    frame = read_data(args.data)
    labels = cluster(frame)
    out = frame.copy()
    out[LABEL_COLUMN] = labels
    escape_formulas(out).to_csv(args.output, index=False)
    result = cluster_sizes(labels)
    for label, size in result["sizes"].items():
        print(f"cluster {label}: {size:,} rows")
    if result["noise"]:
        print(f"noise (in no cluster): {result['noise']:,} rows")
    print(f"wrote {len(out):,} rows with their cluster ('{LABEL_COLUMN}') to {args.output}")
    print(json.dumps(result, sort_keys=True))


if __name__ == "__main__":
    main()
