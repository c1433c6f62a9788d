"""Helpers shared by subcommands: common arguments, loading a data file, printing tables and JSON.

Only the standard library is imported at the top: `mlcore --help` and argument errors must answer in
a few tens of milliseconds, so pandas, scikit-learn and the rest load when a command runs.
"""

from __future__ import annotations

import argparse
import json
import math
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd

    from mlcore.dataset import Dataset


def add_file_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", help="CSV, TSV, TXT, Excel, Parquet or JSON file")
    parser.add_argument("--sheet", help="Excel sheet to read (default: the first with data)")
    parser.add_argument("--target", help="column to predict (default: a column named like a target)")
    parser.add_argument("--task", choices=["classification", "regression"], help="override the inferred task")
    order = parser.add_mutually_exclusive_group()
    order.add_argument(
        "--day-first",
        dest="day_first",
        action="store_true",
        default=None,
        help="read dates such as 05/02/2024 as 5 February (default: the order the values show, else a "
        "stated guess)",
    )
    order.add_argument(
        "--month-first", dest="day_first", action="store_false", help="read 05/02/2024 as 2 May"
    )


def add_training_arguments(parser: argparse.ArgumentParser, *, metric_help: str, json_help: str) -> None:
    """The options `train` and `evaluate` share (models, split, seed, budget, workers, --json)."""
    parser.add_argument("--models", help="comma-separated model keys (default: the whole default set)")
    parser.add_argument("--cv", type=int, default=5, help="cross-validation folds (0 for none; default 5)")
    parser.add_argument("--test-size", type=float, default=0.2, help="holdout share (default 0.2)")
    parser.add_argument("--seed", type=int, default=0, help="seed for every random step (default 0)")
    parser.add_argument("--time-budget", type=float, help="seconds allowed per model (default: no limit)")
    parser.add_argument(
        "--metric",
        help=f"{metric_help} (default: r2 for regression; accuracy, or balanced_accuracy when the classes "
        "are imbalanced)",
    )
    parser.add_argument("--all-rows", action="store_true", help="train slow models on all rows, not a sample")
    parser.add_argument("--workers", type=int, help="models trained at once (default: one per core)")
    parser.add_argument("--json", action="store_true", help=json_help)


def load_dataset(args: argparse.Namespace) -> Dataset:
    """Load the file named on the command line and apply --target/--task exactly as the app does."""
    from mlcore.data.loading import load_path
    from mlcore.data.readers import ReadOptions
    from mlcore.dataset import set_target
    from mlcore.schema import Task

    dataset = load_path(args.file, ReadOptions(sheet=args.sheet, day_first=args.day_first))
    if args.target or args.task:
        target = args.target or dataset.target
        dataset = set_target(dataset, target, Task(args.task) if args.task else None)
    return dataset


def print_table(frame: pd.DataFrame) -> None:
    print(frame.to_string(index=False))


def json_safe(value: Any) -> Any:
    """Plain JSON values: NaN, infinities, pandas' NA and NaT as null, NumPy scalars as numbers."""
    if isinstance(value, dict):
        return {str(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [json_safe(v) for v in value]
    if type(value).__module__ == "numpy" and hasattr(value, "tolist"):
        return json_safe(value.tolist())  # NumPy scalars and arrays as Python numbers and lists
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if value is None or isinstance(value, str | int | bool):
        return value
    if _is_missing(value):
        return None
    return str(value)


def _is_missing(value: Any) -> bool:
    import pandas as pd

    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def print_json(value: Any) -> None:
    """Standard JSON on stdout (strict parsers such as `jq` and JavaScript reject NaN)."""
    print(json.dumps(json_safe(value), indent=2, ensure_ascii=False, allow_nan=False))
