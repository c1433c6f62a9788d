"""Every checked batch, kept in the model's project: what the timeline draws and what a banner warns of.

One JSON file per project (`monitor/checks.json`), replaced atomically under a lock, so a kill never
leaves half a record and two sessions checking at once both keep theirs. The newest `KEPT` checks stay.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from mlcore.monitor.subject import Watched
from mlcore.track.files import locked, read_json, write_json

CHECKS_FILE = "checks.json"
KEPT = 500


def record_check(watched: Watched, summary: dict[str, Any]) -> None:
    """Add one check's summary (JSON-safe) to the model's project."""
    path = watched.folder / CHECKS_FILE
    with locked(path.with_suffix(".lock")):
        write_json(path, [*_read(path), summary][-KEPT:])


def checks(watched: Watched) -> list[dict[str, Any]]:
    """The checks of this model (its name and version), oldest first."""
    return [
        c for c in _read(watched.folder / CHECKS_FILE) if (c.get("model"), c.get("version")) == _key(watched)
    ]


def timeline_points(found: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], str]:
    """The checks as the timeline chart reads them (times as dates, the score on labelled rows as its
    metric), and that metric's name."""
    points = [
        {
            "time": datetime.fromtimestamp(c["time"], UTC),
            "drifted_share": c.get("drifted_share", 0.0),
            "drifted": c.get("drifted", False),
            "metric": (c.get("metric") or {}).get("current", {}).get("estimate"),
        }
        for c in found
    ]
    labels = [c["metric"]["label"] for c in found if c.get("metric")]
    return points, labels[-1] if labels else "score"


def identity(watched: Watched) -> dict[str, str]:
    """The fields a summary names its model by."""
    model, version = _key(watched)
    return {"model": model, "version": version, "run_id": watched.run.id}


def _key(watched: Watched) -> tuple[str, str]:
    return watched.name, watched.version


def _read(path: Path) -> list[dict[str, Any]]:
    try:
        found = read_json(path)
    except (OSError, ValueError):
        return []
    return [c for c in found if isinstance(c, dict)] if isinstance(found, list) else []
