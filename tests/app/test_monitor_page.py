"""The Monitor page (issue 15): upload a drifted batch of a registered model, read the verdict, the
features that moved and the model's score; retrain in the background, register, promote."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "unit"))
from monitor_helpers import NAME, register_toy, rows

from mlcore.monitor.batches import batch_from_bytes
from mlcore.monitor.check import run_check
from mlcore.monitor.subject import watched
from mlcore.workspace import Workspace


@pytest.fixture
def workspace(tmp_path) -> Workspace:
    recorder = register_toy(tmp_path / "home")
    ws = Workspace(recorder=recorder)
    ws.open_project(recorder.store.list()[0].id)
    return ws


def _text(at) -> str:
    return "\n".join(
        e.value
        for kind in ("markdown", "caption", "error", "success", "warning", "info")
        for e in at.get(kind)
    )


def test_a_drifted_batch_is_told_plainly_and_retraining_registers_and_promotes(open_app, workspace):
    at = open_app("pages/monitor.py", workspace, timeout=120)
    at.selectbox(key="monitor_model").set_value(f"{NAME}/1").run()
    data = rows(400, 21, drifted=True).to_csv(index=False).encode()
    at.file_uploader(key="monitor_upload").set_value(("june.csv", data, "text/csv")).run()
    next(b for b in at.button if b.label == "Check this batch").click().run()
    assert not at.exception

    home = workspace.recorder.store.home
    model = watched(f"{NAME}@champion", home)
    expected = run_check(model, batch_from_bytes(model, data, "june.csv"), keep=False)
    assert expected.sentence in [e.value for e in at.error]  # the verdict, in words
    table = next(d.value for d in at.dataframe if "verdict" in d.value.columns).set_index("feature")
    assert table.loc["x1", "verdict"] == "drifted" and table.loc["x2", "verdict"] != "drifted"
    assert expected.decay.beyond_noise and expected.decay.sentence in _text(at)
    assert any("found drift" in e.value for e in at.error)  # the banner: the latest check drifted

    next(b for b in at.button if b.label == "Retrain on the new rows").click().run()
    deadline = time.monotonic() + 120
    while "Registered as" not in _text(at):
        assert time.monotonic() < deadline and not at.exception, _text(at)
        time.sleep(0.5)
        at.run()
    assert "the retrained model does better" in _text(at)
    next(b for b in at.button if b.label == "Make version 2 the champion").click().run()
    assert not at.exception and "is now the champion" in _text(at)
    assert watched(f"{NAME}@champion", home).version == "2"


def test_a_batch_without_a_needed_column_is_a_plain_message(open_app, workspace):
    at = open_app("pages/monitor.py", workspace, timeout=120)
    data = rows(50, 22).drop(columns=["x1"]).to_csv(index=False).encode()
    at.file_uploader(key="monitor_upload").set_value(("short.csv", data, "text/csv")).run()
    next(b for b in at.button if b.label == "Check this batch").click().run()
    assert not at.exception
    (message,) = [e.value for e in at.error]  # Markdown: the colon is escaped
    assert "lacks 1 column(s) the model was trained on" in message and "'x1'" in message
