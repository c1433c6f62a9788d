"""Command-line entry (`mlcore …`, installed as a console script): each subcommand lives in
`mlcore/commands/<name>.py` with a `register` function (modules starting with `_` hold shared helpers).

New commands are added as modules there, without touching this file. Command modules import only the
standard library at their top, so `mlcore --help` answers at once.
"""

from __future__ import annotations

import argparse
import importlib
import os
import pkgutil
import sys

from mlcore import __version__, commands
from mlcore.compute import job_queue
from mlcore.compute.cluster import SCHEDULER_VARIABLE, scheduler_address
from mlcore.errors import MLCoreError
from mlcore.settings import PRESET_VARIABLE, PRESETS, job_limits, memory_limit_from_env, preset

BROKEN_PIPE = 128 + 13  # what a shell reports for a tool whose reader went away (SIGPIPE)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="mlcore", description="ML workbench core.")
    parser.add_argument("--version", action="version", version=f"mlcore {__version__}")
    parser.add_argument(
        "--preset",
        choices=PRESETS,
        help=f"sample sizes and caps: {PRESETS[0]} (the default), classroom (lighter, for a shared "
        f"server) or thorough (larger samples); the same as setting {PRESET_VARIABLE}",
    )
    parser.add_argument(
        "--dask-scheduler",
        metavar="ADDRESS",
        help="run the heavy work (training, tuning, reports) on the Dask cluster of this scheduler, "
        f"such as tcp://10.0.0.5:8786; the same as setting {SCHEDULER_VARIABLE}",
    )
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
    if args.preset:
        os.environ[PRESET_VARIABLE] = args.preset  # read when the stages are imported, below
    if args.dask_scheduler:
        os.environ[SCHEDULER_VARIABLE] = args.dask_scheduler
    try:
        preset()  # a mistyped MLCORE_PRESET is a plain error, not a traceback on first import
        memory_limit_from_env()  # and so is a mistyped MLCORE_MEMORY_LIMIT_MB
        scheduler_address()  # or a malformed MLCORE_DASK_SCHEDULER
        # One user, who chose how many workers to run (`--workers`): no server-wide bound or memory
        # cap unless MLCORE_MAX_JOBS or MLCORE_JOB_MEMORY_MB ask for one, so commands run as fast as before.
        job_queue.use(job_queue.JobQueue(job_limits(shared=False)))
        code = int(args.func(args) or 0)
        sys.stdout.flush()  # a closed pipe shows here rather than at exit, where it cannot be caught
        return code
    except MLCoreError as exc:
        print(f"error: {exc.message}", file=sys.stderr)
        if exc.hint:
            print(f"hint: {exc.hint}", file=sys.stderr)
        return exc.exit_code
    except BrokenPipeError:
        # `mlcore … | head`: the reader has all it wanted. Stop quietly, as other tools do; stdout goes
        # to /dev/null so that the interpreter's own flush at exit does not raise again.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return BROKEN_PIPE
