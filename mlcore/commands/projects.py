"""`projects list|show|export|import|delete`: the projects the app keeps, from the command line."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from mlcore.commands._shared import print_json, print_table
from mlcore.errors import MLCoreError

if TYPE_CHECKING:
    from mlcore.track.projects import ProjectStore


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("projects", help="list, show, export, import or delete projects")
    actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
    listing = actions.add_parser("list", help="every project, most recently changed first")
    listing.add_argument("--json", action="store_true", help="print JSON instead of a table")
    show = actions.add_parser("show", help="one project and its runs")
    show.add_argument("project", help="project id or name")
    show.add_argument("--json", action="store_true", help="print JSON instead of a table")
    export = actions.add_parser("export", help="write a project to one .mlproject file")
    export.add_argument("project", help="project id or name")
    export.add_argument("-o", "--output", help="file to write (default: the project's name .mlproject)")
    load = actions.add_parser("import", help="add a project from an exported .mlproject file")
    load.add_argument("file", help="an exported .mlproject file")
    load.add_argument("--name", help="name of the new project (default: the exported one's)")
    delete = actions.add_parser("delete", help="delete a project and its files")
    delete.add_argument("project", help="project id or name")
    delete.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from mlcore.track.home import workbench_home
    from mlcore.track.projects import ProjectStore

    actions = {"list": _list, "show": _show, "export": _export, "import": _import, "delete": _delete}
    return actions[args.action](ProjectStore(workbench_home()), args)


def _list(store: ProjectStore, args: argparse.Namespace) -> int:
    from mlcore.track.projects import projects_table

    projects = store.list()
    table = projects_table(projects, {p.id: store.disk_bytes(p.id) for p in projects})
    if args.json:
        print_json(table.astype({"changed": str}).to_dict(orient="records"))
    elif table.empty:
        print(f"no projects in {store.home}")
    else:
        print_table(table)
    return 0


def _show(store: ProjectStore, args: argparse.Namespace) -> int:
    import pandas as pd

    info = store.find(args.project)
    runs = [
        {"run": r.id, "model": r.label, "status": r.status, r.metric if r.metric else "score": r.score}
        | {"mlflow run": store.tracked(info.id, r.id).get("mlflow_run_id", "")}
        for r in info.runs
    ]
    facts = {
        "id": info.id,
        "name": info.name,
        "dataset": info.dataset_name,
        "rows": info.n_rows,
        "columns": info.n_columns,
        "target": info.target,
        "task": info.task,
        "disk_bytes": store.disk_bytes(info.id),
        "runs": runs,
    }
    if args.json:
        print_json(facts)
        return 0
    for key, value in facts.items():
        if key != "runs":
            print(f"{key}: {value}")
    print()
    print_table(pd.DataFrame(runs)) if runs else print("no runs yet")
    return 0


def _export(store: ProjectStore, args: argparse.Namespace) -> int:
    from mlcore.track.archive import export_filename, export_project
    from mlcore.track.files import write_bytes

    info = store.find(args.project)
    target = Path(args.output or export_filename(info))
    write_bytes(target.resolve(), export_project(store, info.id))
    print(f"wrote {target} ({target.stat().st_size:,} bytes)")
    return 0


def _import(store: ProjectStore, args: argparse.Namespace) -> int:
    from mlcore.track.archive import import_project
    from mlcore.track.recorder import recorder_for

    path = Path(args.file)
    if not path.is_file():
        raise MLCoreError(f"There is no file '{args.file}'.", "Check the path.")
    info = import_project(store, path.read_bytes(), args.name)
    recorder = recorder_for(store.home)
    tracked = recorder.track_project(info.id)
    recorder.flush()
    if recorder.problem is not None:
        raise recorder.problem
    print(f"imported '{info.name}' as project {info.id} with {len(info.runs)} run(s) ({tracked} tracked)")
    return 0


def _delete(store: ProjectStore, args: argparse.Namespace) -> int:
    info = store.find(args.project)
    if not args.yes:
        if not sys.stdin.isatty():
            raise MLCoreError(f"Deleting '{info.name}' needs confirmation.", "Add --yes to delete it.")
        if input(f"delete project '{info.name}' ({len(info.runs)} runs)? [y/N] ").strip().lower() != "y":
            print("kept")
            return 1
    from mlcore.track.recorder import recorder_for

    recorder = recorder_for(store.home)
    recorder.delete_project(info.id)
    print(f"deleted project '{info.name}' ({info.id})")
    if recorder.problem is not None:
        raise recorder.problem
    return 0
