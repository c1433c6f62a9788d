"""`register RUN --name N [--alias A]`: a run as a new version of a registered model in MLflow."""

from __future__ import annotations

import argparse

from mlcore.commands._shared import print_json


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("register", help="register a run as a version of a named model")
    parser.add_argument("run", help="the run's id (as `mlcore runs list` shows it) or its MLflow run id")
    parser.add_argument("--name", required=True, help="registered model name (made on first use)")
    parser.add_argument("--alias", action="append", default=[], help="alias such as champion (repeatable)")
    parser.add_argument("--description", default="", help="what the version is for")
    parser.add_argument("--json", action="store_true", help="print JSON")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from dataclasses import asdict

    from mlcore.track.home import tracking_uri, workbench_home
    from mlcore.track.projects import ProjectStore
    from mlcore.track.tracking import Tracker, mlflow_run_of

    home = workbench_home()
    tracker = Tracker(tracking_uri(home), home)
    mlflow_run = mlflow_run_of(ProjectStore(home), args.run)
    version = tracker.register(mlflow_run, args.name, args.description, tuple(args.alias))
    if args.json:
        print_json(asdict(version))
    else:
        aliases = f" (aliases: {', '.join(version.aliases)})" if version.aliases else ""
        print(f"registered {version.name} version {version.version}{aliases} from MLflow run {mlflow_run}")
    return 0
