"""Helpers shared by subcommands: common arguments, loading a data file, printing tables and JSON.

Only the standard library is imported at the top: `mlcore --help` and argument errors must answer in
a few tens of milliseconds, so pandas, scikit-learn and the rest load when a command runs.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from typing import TYPE_CHECKING, Any

from mlcore.errors import SettingsError
from mlcore.settings import DEFAULT

if TYPE_CHECKING:
    import pandas as pd

    from mlcore.dataset import Dataset


def add_file_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "file",
        help="CSV, TSV, TXT, Excel, Parquet or JSON file, or a database URL such as "
        "postgresql://user@host/db (with --table or --query; the password as ${VARIABLE} or --password-env)",
    )
    source = parser.add_mutually_exclusive_group()
    source.add_argument("--table", help="database: the table to read (schema.table or table)")
    source.add_argument("--query", help="database: one read-only SELECT to read")
    parser.add_argument(
        "--password-env",
        metavar="VARIABLE",
        help="database: the environment variable holding the password (else ${VARIABLE} in the URL, "
        "else the driver's own, such as PGPASSWORD)",
    )
    parser.add_argument(
        "--row-limit",
        type=int,
        default=DEFAULT.database_row_limit,
        help=f"database: the most rows to read (default {DEFAULT.database_row_limit:,})",
    )
    parser.add_argument(
        "--sample",
        type=int,
        metavar="ROWS",
        help="summarise every row with DuckDB and work on a uniform sample of this many rows (a table "
        "larger than memory is sampled without it, as many rows as fit comfortably)",
    )
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
    """Load the file or database named on the command line and apply --target/--task exactly as the
    app does; a table larger than memory is summarised on every row and sampled, and says so."""
    from mlcore.data.large_loading import load_path_any_size
    from mlcore.data.readers import ReadOptions
    from mlcore.dataset import set_target
    from mlcore.schema import Task

    seed = getattr(args, "seed", 0)
    if "://" in args.file:
        dataset = _load_database(args, seed)
    else:
        if args.table or args.query:
            raise SettingsError(
                "--table and --query read a database.", "Give a database URL instead of a file."
            )
        options = ReadOptions(sheet=args.sheet, day_first=args.day_first)
        dataset = load_path_any_size(args.file, options, sample_rows=args.sample, seed=seed)
    if dataset.origin is not None and dataset.origin.is_sample:
        print(f"note: {dataset.origin.sentence()}", file=sys.stderr)
    if args.target or args.task:
        target = args.target or dataset.target
        dataset = set_target(dataset, target, Task(args.task) if args.task else None)
    return dataset


def _load_database(args: argparse.Namespace, seed: int) -> Dataset:
    """A database table or query; a result too large for memory is sampled as a large file is."""
    from dataclasses import replace

    from mlcore.data.database_loading import DatabaseRead, load_database
    from mlcore.data.databases import parse_url, password_for
    from mlcore.errors import LimitExceededError

    if not (args.table or args.query):
        raise SettingsError("A database needs --table or --query.", "Add --table NAME or --query 'SELECT …'.")
    spec, typed = parse_url(args.file)
    if typed:
        print(
            "note: a password in the URL is visible to other users of this machine; use ${VARIABLE}.",
            file=sys.stderr,
        )
    if args.password_env and not spec.password_env:
        spec = replace(spec, password_env=args.password_env)
    password = password_for(spec, typed)
    read = DatabaseRead(
        table=args.table,
        query=args.query,
        row_limit=args.row_limit,
        sample=args.sample is not None,
        sample_rows=args.sample,
        seed=seed,
    )
    try:
        return load_database(spec, password, read)
    except LimitExceededError:
        if read.sample:
            raise
        return load_database(spec, password, replace(read, sample=True))


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
