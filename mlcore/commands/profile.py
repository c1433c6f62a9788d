"""`profile FILE`: the instant overview and alerts (and the target view), or the full HTML report."""

from __future__ import annotations

import argparse
import sys
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING

from mlcore.commands._shared import add_file_arguments, load_dataset, print_json, print_table
from mlcore.explore.profile_settings import ProfileSettings
from mlcore.formatting import plural

if TYPE_CHECKING:
    from mlcore.dataset import Dataset
    from mlcore.explore.alerts import Alert
    from mlcore.explore.overview import Overview
    from mlcore.explore.target_view import TargetView

OVERVIEW_COLUMNS = ["column", "type", "role", "missing", "distinct", "mean", "std", "min", "50%", "max"]


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "profile",
        help="show the overview, data-quality alerts and target relations, or write the full report",
    )
    add_file_arguments(parser)
    parser.add_argument("--json", action="store_true", help="print JSON instead of tables")
    parser.add_argument(
        "--html", metavar="OUT.html", help="write the full ydata-profiling report to this file"
    )
    defaults = ProfileSettings()
    parser.add_argument(
        "--max-rows",
        type=int,
        default=defaults.max_rows,
        help="full report: above this many rows, profile a uniform sample of that size "
        f"(default {defaults.max_rows})",
    )
    parser.add_argument(
        "--minimal-above-columns",
        type=int,
        default=defaults.minimal_above_columns,
        help="full report: use the minimal preset above this many columns "
        f"(default {defaults.minimal_above_columns})",
    )
    parser.add_argument("--seed", type=int, default=0, help="seed for every sample (default 0)")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from mlcore.explore.alerts import find_alerts
    from mlcore.explore.overview import compute_overview
    from mlcore.explore.target_view import rank_features

    dataset = load_dataset(args)
    if args.html:
        return _write_report(dataset, args)
    overview = compute_overview(dataset)
    view = rank_features(dataset, seed=args.seed) if dataset.target is not None else None
    alerts = find_alerts(dataset, overview, view)
    if args.json:
        print_json(as_json(overview, alerts, view))
    else:
        _print_text(dataset, overview, alerts, view)
    return 0


def as_json(overview: Overview, alerts: list[Alert], view: TargetView | None) -> dict:
    """Everything `profile` reports, as plain JSON-able data."""
    return {
        "overview": overview.to_dict(),
        "alerts": [asdict(a) for a in alerts],
        "target_view": None
        if view is None
        else {
            "target": view.target,
            "task": view.task.value,
            "score": view.score_name,
            "baseline": view.baseline,
            "rows_used": view.rows_used,
            "rows_total": view.rows_total,
            "seed": view.seed,
            "features": view.table().to_dict(orient="records"),
        },
    }


def _print_text(dataset: Dataset, overview: Overview, alerts: list[Alert], view: TargetView | None) -> None:
    import pandas as pd

    summary = overview.dataset
    types = ", ".join(f"{n} {t}" for t, n in summary.type_counts)
    print(f"{dataset.name}: {plural(summary.rows, 'row')} × {plural(summary.columns, 'column')} ({types})")
    print(
        f"memory {summary.memory / 2**20:,.1f} MB · duplicate rows {summary.duplicate_rows:,} · "
        f"missing cells {summary.missing_cells:,} ({summary.missing_share:.1%})"
    )
    print()
    with pd.option_context("display.float_format", "{:.4g}".format, "display.width", 160):
        print_table(overview.table()[OVERVIEW_COLUMNS])
    print()
    print(f"Alerts ({len(alerts)}):" if alerts else "No alerts.")
    for alert in alerts:
        print(f"  [{alert.severity.value}] {alert.title}")
        print(f"      {alert.explanation}")
        print(f"      fix: {alert.fix}")
    if view is not None:
        print()
        sample = f" (uniform sample of {view.rows_used:,} rows, seed {view.seed})" if view.sampled else ""
        print(f"Features by relation to the target '{view.target}' ({view.task.value}){sample}:")
        with pd.option_context("display.float_format", "{:.3f}".format, "display.width", 160):
            print_table(view.table())


def _write_report(dataset: Dataset, args: argparse.Namespace) -> int:
    from mlcore.explore.profile_report import start_profile

    settings = ProfileSettings(
        max_rows=args.max_rows, minimal_above_columns=args.minimal_above_columns, seed=args.seed
    )
    profile = start_profile(dataset, settings)
    print(profile.plan.describe(settings), file=sys.stderr)
    last = ""
    status = profile.poll()
    while status.state.active:
        if status.message != last:
            print(f"  {status.progress:4.0%} {status.message}", file=sys.stderr)
            last = status.message
        if profile.job is not None:
            profile.job.wait(timeout=0.5)
        status = profile.poll()
    if status.error is not None:
        raise status.error
    out = Path(args.html)
    out.write_text(status.result.html, encoding="utf-8")
    print(f"wrote {out} ({len(status.result.html) / 2**20:.1f} MB) in {status.elapsed:.1f} s")
    return 0
