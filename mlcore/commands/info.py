"""`info FILE`: the inferred schema and task, as a table or JSON."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from mlcore.commands._shared import add_file_arguments, load_dataset, print_json, print_table
from mlcore.formatting import plural

if TYPE_CHECKING:
    from mlcore.dataset import Dataset


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("info", help="show the inferred schema and task of a data file")
    add_file_arguments(parser)
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    parser.set_defaults(func=run)


def describe(dataset: Dataset) -> dict:
    """Everything `info` reports, as plain JSON-able data."""
    return {
        "name": dataset.name,
        "source": dataset.source,
        "content_hash": dataset.content_hash,
        "rows": dataset.n_rows,
        "columns": dataset.n_columns,
        "target": dataset.target,
        "task": dataset.task.value if dataset.task else None,
        "task_rule": dataset.task_rule,
        "notes": list(dataset.notes),
        # a database read or a sample: where from, and the statistics of every row of a large table
        "origin": None
        if dataset.origin is None
        else {**dataset.origin.to_dict(), "sentence": dataset.origin.sentence()},
        "schema": dataset.schema_table().to_dict(orient="records"),
    }


def run(args: argparse.Namespace) -> int:
    dataset = load_dataset(args)
    if args.json:
        print_json(describe(dataset))
        return 0
    print(f"{dataset.name}: {plural(dataset.n_rows, 'row')} × {plural(dataset.n_columns, 'column')}")
    print(
        f"target: {dataset.target or '(none chosen)'}   task: {dataset.task.value if dataset.task else '-'}"
    )
    if dataset.task_rule:
        print(f"rule: {dataset.task_rule}")
    for note in dataset.notes:
        print(f"note: {note}")
    print()
    print_table(dataset.schema_table())
    return 0
