"""`predict MODEL FILE -o OUT.csv`: predict with an exported bundle (.zip) or a .skops file only."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from mlcore.errors import MLCoreError


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "predict", help="predict a data file with a bundle (.zip) or .skops model; pickles are refused"
    )
    parser.add_argument("model", help="a bundle from `export` or the Export page (.zip), or a .skops file")
    parser.add_argument("file", help="CSV, TSV, TXT, Excel, Parquet or JSON file with the feature columns")
    parser.add_argument(
        "-o", "--output", required=True, help="where to write the predictions (.csv or .parquet)"
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from mlcore.data.loading import load_path
    from mlcore.deploy.bundle import load_model_file
    from mlcore.deploy.predict import parquet_bytes, predict_frame, safe_csv_bytes

    model = Path(args.model)
    if not model.is_file():
        raise MLCoreError(f"There is no model file at '{model}'.", "Check the path.")
    if not args.output.lower().endswith((".csv", ".parquet")):
        raise MLCoreError("Predictions are written as CSV or Parquet.", "Name the output .csv or .parquet.")
    predictor = load_model_file(model.read_bytes(), model.name)
    frame = load_path(args.file).frame
    prediction = predict_frame(predictor, frame)
    for note in prediction.notes:
        print(f"note: {note}", file=sys.stderr)
    out = prediction.frame
    data = parquet_bytes(out) if args.output.lower().endswith(".parquet") else safe_csv_bytes(out)
    Path(args.output).write_bytes(data)
    print(f"wrote {len(out):,} predictions to {args.output}")
    return 0
