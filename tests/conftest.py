"""Shared test fixtures: paths to test data; AppTest reruns pages as the server does."""

from __future__ import annotations

from pathlib import Path

import pytest
from apptest_support import rerun_like_the_server

ROOT = Path(__file__).resolve().parents[1]
BAD = ROOT / "tests" / "data" / "bad"

rerun_like_the_server()


@pytest.fixture
def bad_dir() -> Path:
    """Awkward and broken input files: a copy of shared/data/bad; its README gives the outcomes."""
    return BAD
