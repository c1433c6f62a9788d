"""`monitor MODEL CURRENT.csv`: has the data a model meets drifted from what it learned, and has the
model got worse? Exit code 0 when nothing drifted, 1 when something did, 2 on bad input, so that a
scheduled job can act on it."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from mlcore.commands._shared import print_json
from mlcore.errors import MLCoreError

DRIFTED = 1


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "monitor",
        help="compare new data with what a model learned from: drift per feature, its predictions, its score",
    )
    parser.add_argument("model", help="NAME@ALIAS or NAME/VERSION of a registered model, or a run id")
    parser.add_argument(
        "current",
        nargs="?",
        help="the new rows (CSV, Excel, Parquet, JSON); with the target column, the model's score is "
        "checked too",
    )
    parser.add_argument(
        "--traffic-hours",
        type=float,
        help="instead of a file: the requests the model's REST API answered in the last H hours",
    )
    parser.add_argument("--json", action="store_true", help="print the whole check as JSON")
    parser.add_argument("--report", help="also write the check as a self-contained HTML file")
    parser.add_argument("--alpha", type=float, default=0.05, help="false-alarm rate for the table (0.05)")
    parser.add_argument(
        "--no-keep", action="store_true", help="do not add this check to the model's timeline in its project"
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from mlcore.monitor.batches import batch_from_path, batch_from_traffic
    from mlcore.monitor.check import run_check
    from mlcore.monitor.drift import DriftSettings
    from mlcore.monitor.report import monitor_report, plain_text
    from mlcore.monitor.subject import watched
    from mlcore.monitor.timeline import checks
    from mlcore.track.home import workbench_home

    if (args.current is None) == (args.traffic_hours is None):
        raise MLCoreError(
            "Give the new rows as a file, or --traffic-hours for the requests the API answered.",
            "For example: mlcore monitor churn@champion june.csv",
        )
    report = Path(args.report) if args.report else None
    if report is not None and not report.parent.exists():
        raise MLCoreError(
            f"The folder '{report.parent}' does not exist.", "Create it or choose another path."
        )
    model = watched(args.model, workbench_home())
    if args.current is not None:
        batch = batch_from_path(model, args.current)
    else:
        batch = batch_from_traffic(model, time.time() - args.traffic_hours * 3600)
    check = run_check(model, batch, DriftSettings(alpha=args.alpha), keep=not args.no_keep)
    if report is not None:
        report.write_text(monitor_report(check, model, batch, checks(model)), encoding="utf-8")
    if args.json:
        print_json(check.to_dict())
    else:
        print(f"{model.title} against {batch.name}: {'DRIFT' if check.drifted else 'no drift'}")
        print(plain_text(check.sentence))
        for feature in check.drift.features:
            print(f"  {plain_text(feature.sentence)}")
        for note in check.notes:
            print(f"note: {plain_text(note)}", file=sys.stderr)
        if report is not None:
            print(f"wrote {report}")
    return DRIFTED if check.drifted else 0
