"""predict.py: predict a CSV, Excel or Parquet file with the bundle's model.joblib."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import joblib
import numpy as np
import pandas as pd
from _script import (
    DATES,
    FEATURES,
    NEGATIVE,
    NULL_TOKENS,
    NUMBERS,
    POSITIVE,
    TARGET,
    TASK,
    THRESHOLD,
)

HERE = Path(__file__).resolve().parent
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")  # a spreadsheet runs a cell that starts so


def read(path):
    suffix = Path(path).suffix.lower()
    if suffix == ".parquet":
        return pd.read_parquet(path)
    if suffix in (".xlsx", ".xlsm", ".xls"):
        return pd.read_excel(path)
    return pd.read_csv(path, sep=None, engine="python", na_values=NULL_TOKENS, keep_default_na=False)


def escape(value):
    return "'" + value if isinstance(value, str) and value.startswith(FORMULA_START) else value


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data", help="CSV, Excel or Parquet file with the feature columns")
    parser.add_argument("-o", "--output", default="predictions.csv", help="output .csv or .parquet file")
    args = parser.parse_args()
    frame = read(args.data)
    missing = [name for name in FEATURES if name not in frame.columns]
    if missing:
        sys.exit(f"The file lacks the column(s) the model needs: {', '.join(missing)}")
    X = frame[FEATURES].copy()
    for name in NUMBERS:
        X[name] = pd.to_numeric(X[name], errors="coerce").replace([np.inf, -np.inf], np.nan)
    for name in DATES:
        X[name] = pd.to_datetime(X[name], errors="coerce", format="mixed")
    model = joblib.load(HERE / "model.joblib")
    out = frame.copy()
    if TASK == "classification" and hasattr(model, "predict_proba"):
        proba = model.predict_proba(X)
        labels = model.classes_[np.argmax(proba, axis=1)]
        if THRESHOLD is not None:
            labels = np.where(proba[:, 1] > THRESHOLD, POSITIVE, NEGATIVE)
        out[f"predicted {TARGET}"] = labels
        for j, label in enumerate(model.classes_):
            out[f"probability {label}"] = proba[:, j]
    elif THRESHOLD is not None:
        out[f"predicted {TARGET}"] = np.where(model.decision_function(X) > THRESHOLD, POSITIVE, NEGATIVE)
    else:
        out[f"predicted {TARGET}"] = model.predict(X)
    if args.output.endswith(".parquet"):
        out.to_parquet(args.output, index=False)
    else:
        text_columns = out.select_dtypes(include=["object", "string"]).columns
        out[text_columns] = out[text_columns].map(escape)
        out.columns = [escape(str(c)) for c in out.columns]
        out.to_csv(args.output, index=False)
    print(f"wrote {len(out):,} predictions to {args.output}")


if __name__ == "__main__":
    main()
