"""Where the workbench keeps its work: one home folder, and the MLflow store inside it or elsewhere.

Everything a user makes (projects, MLflow's SQLite database and its artifacts) lives under one
folder, so it can be backed up, moved or deleted as one. `MLCORE_HOME` chooses it (default: the
user's data directory); `MLFLOW_TRACKING_URI`, MLflow's own setting, points tracking at a team's
server instead of the embedded SQLite store.
"""

from __future__ import annotations

import os
from pathlib import Path

HOME_VARIABLE = "MLCORE_HOME"
TRACKING_SWITCH = "MLCORE_TRACKING"  # "off": projects are still kept, runs are not logged to MLflow
TRACKING_VARIABLE = "MLFLOW_TRACKING_URI"
STORE_FILE = "mlflow.db"


def workbench_home() -> Path:
    """`MLCORE_HOME`, else `$XDG_DATA_HOME/mlcore-workbench` (`~/.local/share/...` by default)."""
    chosen = os.environ.get(HOME_VARIABLE, "").strip()
    if chosen:
        return Path(chosen).expanduser().resolve()
    data = os.environ.get("XDG_DATA_HOME", "").strip() or Path.home() / ".local" / "share"
    return Path(data).expanduser().resolve() / "mlcore-workbench"


def tracking_uri(home: Path) -> str:
    """`MLFLOW_TRACKING_URI` when set, else the embedded SQLite store in `home`."""
    chosen = os.environ.get(TRACKING_VARIABLE, "").strip()
    return chosen or f"sqlite:///{home / STORE_FILE}"


def is_embedded(uri: str) -> bool:
    """Whether the store is a SQLite file on this machine (one writer at a time, initialised here)."""
    return uri.startswith("sqlite:")


def tracking_enabled() -> bool:
    """Runs are logged to MLflow unless `MLCORE_TRACKING` is `off` (projects are kept either way)."""
    return os.environ.get(TRACKING_SWITCH, "").strip().lower() not in ("off", "0", "false", "no")
