"""Command-line entry: each subcommand lives in `mlcore/commands/<name>.py` with a `register` function
(modules starting with `_` hold shared helpers).

New commands (profile, train, predict, export) are added as modules there, without touching this file.
"""

from __future__ import annotations

import argparse
import importlib
import pkgutil
import sys

from mlcore import __version__, commands
from mlcore.errors import MLCoreError


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m mlcore", description="ML workbench core.")
    parser.add_argument("--version", action="version", version=f"mlcore {__version__}")
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for module_info in sorted(pkgutil.iter_modules(commands.__path__), key=lambda m: m.name):
        if module_info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{commands.__name__}.{module_info.name}")
        module.register(subparsers)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run a subcommand; bad input prints the plain message and hint and returns a non-zero code."""
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except MLCoreError as exc:
        print(f"error: {exc.message}", file=sys.stderr)
        if exc.hint:
            print(f"hint: {exc.hint}", file=sys.stderr)
        return exc.exit_code
