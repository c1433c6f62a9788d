"""A project as one file to hand on (a teacher's prepared project for a class), and back.

The file is a zip of the project's own files. Importing one trusts nothing in it: the archive's
size is bounded before a member is read, only the members a project has are accepted (anything
else, a pickle say, is refused by name), every JSON member is parsed into its typed form, the table
must match its schema, and every model is loaded through the skops allow-list in a sandboxed worker
process before the project is written. The new project appears in one step (written to a hidden
folder, then renamed), so a refused or interrupted import leaves the store as it was.
"""

from __future__ import annotations

import io
import json
import os
import re
import secrets
import time
import zipfile
from pathlib import Path

from mlcore import __version__
from mlcore.data.archives import check_archive, read_member
from mlcore.deploy.sandbox import SandboxedModel
from mlcore.errors import MLCoreError
from mlcore.teach.lessons import parse_lesson
from mlcore.track.files import locked, remove_folder, store_error, write_bytes, write_json
from mlcore.track.project_files import PREDICTIONS, ProjectFileError, ProjectSettings, dataset_from, run_from
from mlcore.track.projects import FORMAT, LESSONS, ProjectInfo, ProjectStore, clean_name

SUFFIX = ".mlproject"
MANIFEST = "workbench-project.json"
MAX_PROJECT_BYTES = 2 << 30  # a project's members together, once unpacked
MAX_MEMBER_BYTES = 1 << 30
_PROJECT_FILES = ("project.json", "dataset.json", "data.parquet", "settings.json")
_LESSON_FILE = re.compile(r"^lessons/[a-z0-9-]{1,60}\.yaml$")
_RUN_FILE = re.compile(r"^runs/([a-f0-9]{12})/(run\.json|predictions\.arrow|model\.skops)$")


def export_project(store: ProjectStore, project_id: str) -> bytes:
    """The project's files in one zip, with a manifest naming the format and the app's version."""
    folder = store.folder(project_id)
    out = io.BytesIO()
    with locked(folder / ".lock"), zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(MANIFEST, json.dumps({"format": FORMAT, "app_version": __version__}))
        for name in _PROJECT_FILES:
            archive.write(folder / name, name)
        for path in sorted((folder / LESSONS).glob("*.yaml")):  # handed out with the project
            archive.write(path, path.relative_to(folder).as_posix())
        for path in sorted((folder / "runs").glob("*/*")):
            member = path.relative_to(folder).as_posix()
            if _RUN_FILE.match(member) and (path.parent / "run.json").exists():
                archive.write(path, member)
    return out.getvalue()


def export_filename(info: ProjectInfo) -> str:
    """A safe file name for the download: the project's name in plain characters."""
    stem = re.sub(r"[^A-Za-z0-9._-]+", "-", info.name).strip("-.") or "project"
    return f"{stem[:60]}{SUFFIX}"


def import_project(store: ProjectStore, data: bytes, name: str | None = None) -> ProjectInfo:
    """A new project from an exported file, every member checked first; refused whole otherwise."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, ValueError):
        raise ProjectFileError(
            "This is not a project file (or it is truncated or damaged).",
            f"Choose a {SUFFIX} file exported from the Projects page.",
        ) from None
    with archive:
        members = _checked_members(archive)
        files = {m: read_member(archive, m, MAX_MEMBER_BYTES, "project file") for m in members}
    record = _json(files["project.json"], "project.json")
    if not isinstance(record, dict) or int(record.get("format", 0) or 0) > FORMAT:
        raise ProjectFileError(
            "This project file was written by a newer version of the workbench.",
            "Import it there, or update this workbench.",
        )
    dataset = dataset_from(_json(files["dataset.json"], "dataset.json"), files["data.parquet"])
    ProjectSettings.from_dict(_json(files["settings.json"], "settings.json"))
    runs = {}
    for member in files:
        found = _RUN_FILE.match(member)
        if found and found.group(2) == "run.json":
            rid = found.group(1)
            run = run_from(_json(files[member], member), files.get(f"runs/{rid}/{PREDICTIONS}"), None)
            if run.id != rid or run.dataset_hash != dataset.content_hash:
                raise ProjectFileError(
                    f"A run in the project file ({rid}) does not belong to its dataset.",
                    "Export the project again from the workbench that made it.",
                )
            runs[rid] = run
    for member, content in files.items():
        if member.endswith("model.skops"):
            _check_model(content, member)
        elif _LESSON_FILE.match(member):
            _check_lesson(content, member)
    return _write(store, files, record, set(runs), name)


def _checked_members(archive: zipfile.ZipFile) -> list[str]:
    check_archive(archive, MAX_PROJECT_BYTES, "project file")
    names = [info.filename for info in archive.infolist() if not info.is_dir()]
    known = (_RUN_FILE, _LESSON_FILE)
    unknown = [
        n for n in names if n != MANIFEST and n not in _PROJECT_FILES and not any(k.match(n) for k in known)
    ]
    if unknown:
        shown = ", ".join(re.sub(r"[^\w./-]", "?", n)[:80] for n in unknown[:3])
        raise ProjectFileError(
            f"The project file holds files a project never has ({shown}), so it was not imported.",
            "Only files exported from the workbench's Projects page can be imported.",
        )
    missing = [n for n in _PROJECT_FILES if n not in names]
    if missing:
        raise ProjectFileError(
            f"The project file lacks {', '.join(missing)}: it is truncated or not a project.",
            "Export the project again.",
        )
    return [n for n in names if n != MANIFEST]


def _json(content: bytes, member: str) -> object:
    try:
        return json.loads(content)
    except (ValueError, UnicodeDecodeError):
        raise ProjectFileError(
            f"'{member}' in the project file is not valid JSON (the file is damaged).",
            "Export the project again.",
        ) from None


def _check_lesson(content: bytes, member: str) -> None:
    """A lesson is read as data only (safe YAML, checked field by field): refused whole otherwise."""
    try:
        parse_lesson(content)
    except MLCoreError as exc:
        raise ProjectFileError(
            f"A lesson in the project file was refused ({member}): {exc.message}",
            "Export the project again from the workbench that made it.",
        ) from None


def _check_model(content: bytes, member: str) -> None:
    """Load the model in a sandboxed worker: off the allow-list, malformed or crashing is refused."""
    try:
        SandboxedModel(content).close()
    except MLCoreError as exc:
        raise ProjectFileError(
            f"A model in the project file was refused ({member}): {exc.message}",
            "Only projects exported by the workbench can be imported.",
        ) from None


def _write(
    store: ProjectStore, files: dict[str, bytes], record: dict, run_ids: set[str], name: str | None
) -> ProjectInfo:
    """Write the checked files under a new id in one step: a hidden folder renamed into place."""
    pid = secrets.token_hex(6)
    hidden = store.root / f".import-{pid}"
    try:
        for member, content in files.items():
            found = _RUN_FILE.match(member)
            if member == "project.json" or (found and found.group(1) not in run_ids):
                continue
            write_bytes(hidden / member, content)
        summaries = record.get("runs")
        summaries = summaries if isinstance(summaries, dict) else {}
        kept_runs = {k: v for k, v in summaries.items() if k in run_ids}
        now = time.time()
        write_json(
            hidden / "project.json",
            {
                **record,
                "id": pid,
                "name": clean_name(name or str(record.get("name", "Imported project"))),
                "runs": kept_runs,
                "created": now,
                "changed": now,
            },
        )
        os.replace(hidden, store.root / pid)
    except OSError as exc:
        remove_folder(hidden)
        raise store_error(exc, Path(pid)) from None
    except MLCoreError:
        remove_folder(hidden)
        raise
    return store.info(pid)
