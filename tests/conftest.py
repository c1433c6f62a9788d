"""Shared test fixtures: paths to test data; AppTest reruns pages as the server does."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest
from apptest_support import rerun_like_the_server

pytest_plugins = ["postgres_server", "dask_cluster"]  # PostgreSQL server (database tests); Dask clusters

ROOT = Path(__file__).resolve().parents[1]
BAD = ROOT / "tests" / "data" / "bad"

rerun_like_the_server()
# Projects made by the tests (and the app servers they start) go to a folder of their own, never the
# user's; MLflow tracking is switched on by the tests about tracking, which start their own stores.
os.environ["MLCORE_HOME"] = tempfile.mkdtemp(prefix="mlcore-test-home-")
os.environ["MLCORE_TRACKING"] = "off"


@pytest.fixture
def bad_dir() -> Path:
    """Awkward and broken input files: a copy of shared/data/bad; its README gives the outcomes."""
    return BAD
