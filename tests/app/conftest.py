"""Shared set-up for the AppTest page tests: run app.py with a workspace, then open one page.

Offered as fixtures, not as functions to import: this folder has no __init__.py, so `import conftest`
could find tests/conftest.py (or another conftest) instead of this one.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from mlcore.workspace import Workspace

APP = str(Path(__file__).resolve().parents[2] / "app.py")


def _open_app(
    page: str | None = None, workspace: Workspace | None = None, *, timeout: float = 60, **state
) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=timeout)
    if workspace is not None:
        at.session_state["workspace"] = workspace
    for key, value in state.items():
        at.session_state[key] = value
    at.run()
    if page is not None:
        at.switch_page(page).run()
    assert not at.exception, at.exception
    return at


@pytest.fixture
def open_app() -> Callable[..., AppTest]:
    """`open_app(page=None, workspace=None, *, timeout=60, **state)`: run app.py with `workspace` (if
    any) and `state` in its session state, switch to `page` (such as "pages/train.py"; None stays on
    the start page), check that nothing raised and return the AppTest."""
    return _open_app


@pytest.fixture
def open_with_runs(open_app) -> Callable[..., AppTest]:
    """`open_with_runs(page, dataset=None, runs=(), **settings)`: `open_app` with a workspace holding
    `dataset`, a copy of `runs` and any other Workspace fields, allowing 120 s a script run."""

    def open_(page: str, dataset=None, runs=(), **settings) -> AppTest:
        return open_app(page, Workspace(dataset=dataset, runs=list(runs), **settings), timeout=120)

    return open_
