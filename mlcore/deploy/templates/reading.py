"""train.py: read the original file as the workbench read it (same names, numbers and dates)."""

from __future__ import annotations

import csv
import io
import json
import sys

import numpy as np
import pandas as pd
from _script import (
    COLUMNS,
    DATES,
    DAY_FIRST,
    DECIMAL,
    DELIMITER,
    DROP_RAGGED,
    ENCODING,
    EXPECTED_COLUMNS,
    EXPECTED_ROWS,
    FILE_FORMAT,
    FLOAT_PRECISION,
    NULL_TOKENS,
    NUMBERS,
    SHEET,
    THOUSANDS_COLUMNS,
    plain_numbers,
)


def ragged_lines(path):
    """Line numbers of rows with another number of fields than the header (the workbench dropped them)."""
    with open(path, encoding=ENCODING, errors="replace", newline="") as handle:
        reader = csv.reader(handle, delimiter=DELIMITER)
        expected, bad = None, []
        for row in reader:
            if expected is None:
                expected = len(row)
            elif row and len(row) != expected:
                bad.append(reader.line_num)
    return bad


def read_json_table(path):
    """A list of records, JSON lines, or an object of columns; nested values kept as JSON text."""
    with open(path, encoding="utf-8", errors="replace") as handle:
        text = handle.read()
    try:
        data = json.loads(text)
    except json.JSONDecodeError:
        data = None
    if data is None:
        frame = pd.read_json(io.StringIO(text), lines=True)
    elif isinstance(data, list):
        frame = pd.json_normalize(data)
    else:
        frame = pd.DataFrame(data)
    for name in frame.columns[frame.dtypes.map(pd.api.types.is_object_dtype)]:
        nested = frame[name].map(lambda v: isinstance(v, (list, dict)))
        if nested.any():
            frame[name] = frame[name].map(lambda v: json.dumps(v) if isinstance(v, (list, dict)) else v)
    return frame


def read_table(path):
    """The file's cells, before they are named and typed."""
    if FILE_FORMAT == "parquet":
        return pd.read_parquet(path)
    if FILE_FORMAT == "excel":
        return pd.read_excel(path, sheet_name=SHEET)
    if FILE_FORMAT == "json":
        return read_json_table(path)
    skip = [0, *(n - 1 for n in ragged_lines(path))] if DROP_RAGGED else [0]
    return pd.read_csv(
        path,
        sep=DELIMITER,
        decimal=DECIMAL,
        encoding=ENCODING,
        header=None,
        skiprows=skip,
        names=range(len(COLUMNS)),
        na_values=NULL_TOKENS,
        keep_default_na=False,
        float_precision=FLOAT_PRECISION,
        low_memory=False,
    )


def read_data(path):
    """The table as the workbench read it: same names, numbers and dates, infinities as missing."""
    frame = read_table(path)
    if frame.shape[1] != len(COLUMNS):
        sys.exit(f"{path} has {frame.shape[1]} columns; the model was trained on {len(COLUMNS)}.")
    frame.columns = COLUMNS
    for name in NUMBERS:
        if not pd.api.types.is_numeric_dtype(frame[name].dtype):
            text = plain_numbers(frame[name], DECIMAL) if name in THOUSANDS_COLUMNS else frame[name]
            frame[name] = pd.to_numeric(text, errors="coerce")
        if pd.api.types.is_float_dtype(frame[name].dtype):
            frame[name] = frame[name].mask(np.isinf(frame[name]))
    for name in DATES:
        if not pd.api.types.is_datetime64_any_dtype(frame[name].dtype):
            frame[name] = pd.to_datetime(frame[name], errors="coerce", format="mixed", dayfirst=DAY_FIRST)
    if frame.shape != (EXPECTED_ROWS, EXPECTED_COLUMNS):
        print(
            f"warning: the file has {frame.shape} rows x columns; the workbench had "
            f"{(EXPECTED_ROWS, EXPECTED_COLUMNS)}, so the numbers will differ.",
            file=sys.stderr,
        )
    return frame
