"""`runs list [--project P]`: the runs kept in projects, with their MLflow run ids."""

from __future__ import annotations

import argparse

from mlcore.commands._shared import print_json, print_table


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("runs", help="list the runs kept in projects")
    actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
    listing = actions.add_parser("list", help="every run of one project, or of all of them")
    listing.add_argument("--project", help="project id or name (default: every project)")
    listing.add_argument("--json", action="store_true", help="print JSON instead of a table")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    import pandas as pd

    from mlcore.track.home import workbench_home
    from mlcore.track.projects import ProjectStore

    store = ProjectStore(workbench_home())
    projects = [store.find(args.project)] if args.project else store.list()
    rows = [
        {
            "project": info.name,
            "run": r.id,
            "model": r.label,
            "status": r.status,
            "metric": r.metric,
            "score": r.score,
            "mlflow run": store.tracked(info.id, r.id).get("mlflow_run_id", ""),
        }
        for info in projects
        for r in sorted(info.runs, key=lambda r: r.changed)
    ]
    if args.json:
        print_json(rows)
    elif not rows:
        print("no runs yet")
    else:
        print_table(pd.DataFrame(rows).round({"score": 4}))
    return 0
