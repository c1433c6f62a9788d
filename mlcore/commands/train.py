"""`train FILE`: train models with the app's own code and print the leaderboard (or JSON)."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

from mlcore.commands._shared import add_file_arguments, add_training_arguments, load_dataset, print_json
from mlcore.errors import MLCoreError

if TYPE_CHECKING:
    from mlcore.track.recorder import KeptRuns
    from mlcore.train.runs import TrainRequest


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("train", help="train models and print the leaderboard")
    add_file_arguments(parser)
    add_training_arguments(
        parser,
        metric_help="metric to rank by",
        json_help="print JSON instead of a table",
    )
    parser.add_argument(
        "--project",
        help="keep the runs in this project (id or name; a new project of that name when there is none) "
        "and track them in MLflow, in the store the app reads",
    )
    parser.set_defaults(func=run)


def build_request(args: argparse.Namespace) -> TrainRequest:
    """The request the app would make for these arguments."""
    from mlcore.train.models import default_set
    from mlcore.train.runs import ModelChoice, TrainRequest
    from mlcore.train.split import SplitSpec

    dataset = load_dataset(args)
    if dataset.target is None or dataset.task is None:
        why = " ".join(dataset.notes)
        raise MLCoreError(
            f"No target column was chosen or recognised. {why}".strip(), "Name it with --target COLUMN."
        )
    keys = (
        [k.strip() for k in args.models.split(",") if k.strip()] if args.models else default_set(dataset.task)
    )
    return TrainRequest(
        dataset,
        split=SplitSpec(test_size=args.test_size, cv_folds=args.cv),
        models=tuple(ModelChoice(key, capped=not args.all_rows) for key in keys),
        seed=args.seed,
        time_budget=args.time_budget,
    )


def run(args: argparse.Namespace) -> int:
    import pandas as pd

    from mlcore.metrics import METRICS, default_metric, ranking_reason, target_counts
    from mlcore.train.leaderboard import leaderboard
    from mlcore.train.session import TrainingSession

    if args.project:  # MLflow's store opens (seconds of imports) in the background while the data loads
        from mlcore.track.home import workbench_home
        from mlcore.track.recorder import recorder_for

        recorder_for(workbench_home())
    request = build_request(args)
    kept = _project(args.project, request) if args.project else None
    session = TrainingSession(request, workers=args.workers)
    if not args.json:
        print(f"training {len(request.models)} model(s) on {request.dataset.name} …", file=sys.stderr)
    snapshot = session.wait(on_run=None if kept is None else kept.add)  # each run saved as it finishes
    project = None if kept is None else kept.finish()
    table = leaderboard(snapshot.runs, args.metric)
    task, counts = request.dataset.task, target_counts(request.dataset)
    metric = args.metric or default_metric(task, counts)
    if args.json:
        out = {
            "dataset": request.dataset.name,
            "target": request.dataset.target,
            "task": task.value,
            "ranked_by": metric,
            "split": session.split.description,
            "seconds": snapshot.elapsed,
            "leaderboard": table.astype(object).where(table.notna(), None).to_dict(orient="records"),
            "runs": [run.summary() for run in snapshot.runs],
            "project": None if project is None else {"id": project.id, "name": project.name},
        }
        print_json(out)
        return 0
    print(session.split.description)
    if not args.metric and (reason := ranking_reason(task, counts)):
        print(reason)
    with pd.option_context("display.width", 200, "display.max_columns", 12, "display.max_colwidth", 60):
        label = METRICS[metric].label
        keep = ["rank", "model", "status", f"CV {label}", "CV ± std", f"holdout {label}"]
        shown = table[[*keep, "fit s", "predict s", "rows", "note"]].round(4)
        print(shown.to_string(index=False, na_rep=""))
    print(f"\n{len(snapshot.runs)} model(s) in {snapshot.elapsed:.1f} s")
    if project is not None:
        print(f"kept in project '{project.name}' ({project.id}), {len(project.runs)} run(s) in all")
    return 0


def _project(project: str, request: TrainRequest) -> KeptRuns:
    from mlcore.track.home import workbench_home
    from mlcore.track.recorder import keep_runs_in

    return keep_runs_in(workbench_home(), project, request.dataset)
