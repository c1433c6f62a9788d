"""Helpers shared by subcommands: loading a data file argument and printing tables."""

from __future__ import annotations

import argparse

import pandas as pd

from mlcore.dataset import Dataset
from mlcore.loading import load_path
from mlcore.readers import ReadOptions


def add_file_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", help="CSV, TSV, TXT, Excel, Parquet or JSON file")
    parser.add_argument("--sheet", help="Excel sheet to read (default: the first with data)")
    parser.add_argument("--target", help="column to predict (default: a column named like a target)")
    parser.add_argument("--task", choices=["classification", "regression"], help="override the inferred task")


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
