"""Helpers shared by subcommands: common arguments, loading a data file and printing tables."""

from __future__ import annotations

import argparse
import math

import pandas as pd

from mlcore.dataset import Dataset
from mlcore.loading import load_path
from mlcore.readers import ReadOptions


def add_file_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", help="CSV, TSV, TXT, Excel, Parquet or JSON file")
    parser.add_argument("--sheet", help="Excel sheet to read (default: the first with data)")
    parser.add_argument("--target", help="column to predict (default: a column named like a target)")
    parser.add_argument("--task", choices=["classification", "regression"], help="override the inferred task")


def add_training_arguments(parser: argparse.ArgumentParser, *, metric_help: str, json_help: str) -> None:
    """The options `train` and `evaluate` share (models, split, seed, budget, workers, --json)."""
    parser.add_argument("--models", help="comma-separated model keys (default: the whole default set)")
    parser.add_argument("--cv", type=int, default=5, help="cross-validation folds (0 for none; default 5)")
    parser.add_argument("--test-size", type=float, default=0.2, help="holdout share (default 0.2)")
    parser.add_argument("--seed", type=int, default=0, help="seed for every random step (default 0)")
    parser.add_argument("--time-budget", type=float, help="seconds allowed per model (default: no limit)")
    parser.add_argument("--metric", help=metric_help)
    parser.add_argument("--all-rows", action="store_true", help="train slow models on all rows, not a sample")
    parser.add_argument("--workers", type=int, help="models trained at once (default: one per core)")
    parser.add_argument("--json", action="store_true", help=json_help)


def load_dataset(args: argparse.Namespace) -> Dataset:
    """Load the file named on the command line and apply --target/--task exactly as the app does."""
    from mlcore.dataset import set_target
    from mlcore.schema import Task

    dataset = load_path(args.file, ReadOptions(sheet=args.sheet))
    if args.target or args.task:
        target = args.target or dataset.target
        dataset = set_target(dataset, target, Task(args.task) if args.task else None)
    return dataset


def print_table(frame: pd.DataFrame) -> None:
    print(frame.to_string(index=False))


def json_safe(value: object) -> object:
    """NaN as null, so the JSON output is standard JSON."""
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, dict):
        return {k: json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [json_safe(v) for v in value]
    return value
