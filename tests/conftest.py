"""Shared test fixtures: paths to test data."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
BAD = ROOT / "tests" / "data" / "bad"


@pytest.fixture
def bad_dir() -> Path:
    """Awkward and broken input files: a copy of shared/data/bad; its README gives the outcomes."""
    return BAD
