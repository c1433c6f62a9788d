"""AppTest for the place in line (issue 19): on a busy server a training waits for a free worker, and
the Train page, the sidebar and the server panel say so with its place; once the slot is free it
trains to the end by itself."""

from __future__ import annotations

from pathlib import Path

import pytest
from apptest_support import page_text, shown
from streamlit.testing.v1 import AppTest

from mlcore.compute import job_queue
from mlcore.compute.job_queue import JobQueue
from mlcore.compute.jobs import Job, JobState
from mlcore.settings import JobLimits
from mlcore.train.split import SplitSpec
from mlcore.workspace import Workspace

PAGE = "pages/train.py"
HELPERS = Path(__file__).resolve().parents[1] / "unit"  # jobs_helpers: job functions workers can import


@pytest.fixture
def one_slot(monkeypatch) -> JobQueue:
    """A server queue with one slot for this test's jobs; the previous queue comes back after."""
    monkeypatch.syspath_prepend(str(HELPERS))  # workers receive this path with their job
    queue = JobQueue(JobLimits(1, None))
    monkeypatch.setattr(job_queue, "_shared", queue)
    return queue


def _train_button(at: AppTest):
    return next(b for b in at.button if b.label.startswith("Train "))


def test_a_waiting_training_shows_its_place_then_trains_when_the_slot_frees(open_app, one_slot, tmp_path):
    from jobs_helpers import sleep_then_touch

    blocker = Job(sleep_then_touch, 120, str(tmp_path / "never"), owner="someone else")
    assert blocker.poll().state is JobState.RUNNING  # it holds the only slot
    workspace = Workspace()
    assert workspace.load_sample("iris")
    workspace.configure(split=SplitSpec(cv_folds=3), model_keys=("logistic_regression", "naive_bayes"))
    at = open_app(PAGE, workspace)
    try:
        _train_button(at).click().run()
        assert not at.exception and workspace.train_problem is None
        snapshot = workspace.poll_training()
        assert snapshot.running and [m.state for m in snapshot.models] == ["queued", "queued"]

        # The Train page says it waits, and where it stands, where the user looks.
        place = "Waiting for a free worker: next in line."
        assert place in shown(at.info[0].value)
        bar = shown(at.main.get("progress")[0].text)
        assert bar.startswith("Training: 0 of 2 models finished; waiting for a free worker: next in line")
        assert "next in line" in shown(at.sidebar.get("progress")[0].text)
        # The server panel counts the blocker and this training's waiting workers, from two sessions.
        waiting = workspace.training.n_workers
        assert f"Jobs: 1 running (at most 1 at once) and {waiting} waiting, from 2 sessions" in page_text(at)
    finally:
        blocker.stop()  # the slot frees: the training starts by itself

    assert blocker.poll().state is JobState.STOPPED
    done = workspace.training.wait(120)
    assert done.state == "done" and [m.state for m in done.models] == ["ok", "ok"]
    at.run()
    assert not at.exception
    assert "in line" not in page_text(at)
    board = at.dataframe[-1].value
    assert sorted(board["model"]) == ["Gaussian naive Bayes", "Logistic regression"]
    assert (board["status"] == "ok").all()
    assert "Jobs: 0 running (at most 1 at once) and 0 waiting" in page_text(at)


def test_a_training_that_starts_at_once_shows_no_place(open_app, one_slot):
    workspace = Workspace()
    assert workspace.load_sample("iris")
    workspace.configure(split=SplitSpec(cv_folds=3), model_keys=("naive_bayes",))
    at = open_app(PAGE, workspace)
    _train_button(at).click().run()
    assert not at.exception
    assert "in line" not in page_text(at)
    bars = [shown(p.text) for p in at.main.get("progress")]
    assert not bars or all("waiting for a free worker" not in bar for bar in bars)
    assert workspace.training.wait(120).state == "done"
