"""`evaluate FILE --report OUT.html`: train models as `train` does and write the comparison report."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from mlcore.commands._shared import add_file_arguments, add_training_arguments, print_json
from mlcore.commands.train import build_request
from mlcore.errors import MLCoreError


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "evaluate", help="train models and write an HTML report comparing them (metrics, matrices, curves)"
    )
    add_file_arguments(parser)
    parser.add_argument("--report", required=True, help="the HTML file to write (self-contained)")
    add_training_arguments(
        parser,
        metric_help="metric that orders the models",
        json_help="print the holdout and CV scores as JSON",
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from mlcore.evaluate.compare import cv_summary
    from mlcore.evaluate.holdout import display_names, evaluate_run, ranked
    from mlcore.evaluate.report import build_report
    from mlcore.train.session import TrainingSession

    request = build_request(args)
    if request.split.test_size == 0:
        raise MLCoreError(
            "The report compares models on the holdout, so it needs one.",
            "Use --test-size above 0, e.g. 0.2.",
        )
    out = Path(args.report)
    if not out.parent.exists():
        raise MLCoreError(f"The folder '{out.parent}' does not exist.", "Create it or choose another path.")
    print(f"training {len(request.models)} model(s) on {request.dataset.name} …", file=sys.stderr)
    snapshot = TrainingSession(request, workers=args.workers).wait()
    runs = ranked(snapshot.runs, args.metric)
    for failed in (r for r in snapshot.runs if not r.ok):
        print(f"{failed.label}: {failed.status.value} — {failed.message}", file=sys.stderr)
    out.write_text(build_report(runs, request.dataset), encoding="utf-8")
    if args.json:
        names = display_names(runs)
        scores = {
            "report": str(out),
            "holdout": {names[r.id]: evaluate_run(r, request.dataset).metrics for r in runs},
            "cv": cv_summary(runs).to_dict(orient="records"),
        }
        print_json(scores)
    else:
        print(f"wrote {out} ({out.stat().st_size / 2**20:.1f} MB) comparing {len(runs)} model(s)")
    return 0
