"""Monitoring a registered model end to end (issue 15): its reference comes from its project, a batch
is read with the Predict page's rules, a check finds drift and decay where they are and not where they
are not, every check is kept for the timeline, and retraining on the drifted data beats the old model
on the newest rows and becomes the next version."""

from __future__ import annotations

import io
import json
import time
from dataclasses import replace
from pathlib import Path

import httpx
import pandas as pd
import pytest
from monitor_helpers import NAME, register_toy, rows

from mlcore.deploy.predict import ColumnTypeError, MissingColumnsError, predict_values
from mlcore.monitor.batches import batch_from_bytes, batch_from_dataset, batch_from_traffic
from mlcore.monitor.check import run_check
from mlcore.monitor.retrain import compare, fit, keep, plan, promote
from mlcore.monitor.subject import MonitorError, watched
from mlcore.monitor.timeline import checks
from mlcore.serve.server import ServeOptions
from mlcore.serve.servers import start_server, stop_server
from mlcore.serve.sources import ServeError
from mlcore.track.recorder import Recorder


@pytest.fixture(scope="module")
def registered(tmp_path_factory) -> tuple[Path, Recorder]:
    home = tmp_path_factory.mktemp("home")
    return home, register_toy(home)


def _batch(model, frame: pd.DataFrame):
    data = frame.to_csv(index=False).encode()
    return batch_from_bytes(model, data, "batch.csv")


def test_the_reference_is_the_rows_the_model_learned_from(registered):
    home, _ = registered
    model = watched(f"{NAME}@champion", home)
    assert (model.name, model.version, model.registered) == (NAME, "1", True)
    assert model.kinds == {"x1": "numeric", "x2": "numeric", "colour": "categorical"}
    assert len(model.reference) == model.run.n_train_rows == 480  # 600 less the 20% holdout
    assert not set(model.reference.index) & set(model.run.holdout_index)
    importance = model.importance()
    assert max(importance, key=importance.get) == "x2"  # the label follows x2
    assert model.importance() == importance  # read back from the project, not computed again


def test_an_unchanged_batch_is_not_flagged_and_a_drifted_one_is_with_its_decay(registered):
    home, _ = registered
    model = watched(f"{NAME}@champion", home)
    calm = run_check(model, _batch(model, rows(400, 1)))
    assert not calm.drifted and not calm.drift.drifted and not calm.decay.beyond_noise
    moved = run_check(model, _batch(model, rows(400, 2, drifted=True)))
    by_name = {f.name: f for f in moved.drift.features}
    assert moved.drifted and by_name["x1"].drifted and by_name["colour"].drifted and not by_name["x2"].drifted
    assert moved.decay.beyond_noise and moved.decay.current.estimate < moved.decay.holdout.estimate - 0.2
    assert moved.decay.holdout.estimate == pytest.approx(model.run.holdout["accuracy"])
    expected, _, _ = predict_values(model.predictor, rows(400, 2, drifted=True)[list(model.kinds)])
    assert moved.decay.current.estimate == pytest.approx(
        (expected == rows(400, 2, drifted=True)["label"]).mean()
    )
    timeline = checks(model)[-2:]
    assert [c["drifted"] for c in timeline] == [False, True]
    assert timeline[1]["features_drifted"] and timeline[1]["metric"]["beyond_noise"] is True


def test_retraining_on_the_drifted_rows_beats_the_old_model_and_becomes_the_champion(registered):
    home, recorder = registered
    model = watched(f"{NAME}@champion", home)
    batch = _batch(model, rows(500, 3, drifted=True))
    retraining = plan(model, batch)
    assert retraining.added == 350 and len(retraining.check) == 150  # 30% of the newest rows held out
    assert len(retraining.request.dataset.frame) == len(model.dataset.frame) + 350
    retrained = fit(lambda event: None, retraining)
    comparison = compare(model, retraining, retrained)
    assert comparison.better and comparison.new > comparison.old + 0.15
    kept = keep(model, retraining, retrained, comparison, recorder)
    assert (kept.model_name, kept.version) == (NAME, "2")
    promote(recorder, kept)
    champion = watched(f"{NAME}@champion", home)
    assert champion.version == "2" and champion.project_id == kept.project_id
    assert champion.run.id == retrained.id and len(champion.dataset.frame) == 950


def test_bad_batches_and_models_are_plain_messages(registered):
    home, _ = registered
    model = watched(f"{NAME}@champion", home)
    with pytest.raises(MissingColumnsError, match="'x2'"):
        _batch(model, rows(50, 4).drop(columns=["x2"]))
    with pytest.raises(ColumnTypeError, match="'x1' should hold numbers"):
        _batch(model, rows(80, 7).assign(x1="tall"))
    with pytest.raises(MonitorError, match="no rows"):
        batch_from_dataset(model, replace(model.dataset, frame=rows(0, 5)))
    one = _batch(model, rows(1, 6))
    assert one.n_rows == 1 and any("tell little" in n for n in one.notes)
    assert run_check(model, one, keep=False).drift.n_current == 1
    with pytest.raises(MonitorError, match="no 'label' column"):
        plan(model, _batch(model, rows(80, 8).drop(columns=["label"])))
    with pytest.raises(ServeError, match="no model"):
        watched("nothing@champion", home)


def test_a_batch_is_read_with_the_data_pages_checks(registered):
    home, _ = registered
    model = watched(f"{NAME}@champion", home)
    frame = rows(60, 9)
    frame["x1"] = frame["x1"].map(lambda v: f"{v:.3f}".replace(".", ","))  # decimal commas, as a file may
    frame["extra"] = 1
    data = io.StringIO()
    frame.to_csv(data, index=False, sep=";")
    batch = batch_from_bytes(model, data.getvalue().encode(), "commas.csv")
    assert batch.features["x1"].dtype == float and batch.features["x1"].notna().all()
    assert any("the model does not use were ignored: 'extra'" in n for n in batch.notes)


def test_the_requests_a_served_model_answered_are_a_batch(registered):
    """Serve the model, send rows, stop it: its traffic log, read back for this model only, is the batch."""
    home, _ = registered
    model = watched(f"{NAME}@champion", home)
    sent = rows(40, 14, drifted=True)
    record = start_server(home, f"{NAME}@champion", ServeOptions())
    try:
        records = json.loads(sent[list(model.kinds)].to_json(orient="records"))
        answer = httpx.post(f"{record.url}/predict", json={"records": records}, timeout=30)
        assert answer.status_code == 200
    finally:
        stop_server(home, record.id)
    batch = batch_from_traffic(model, since=time.time() - 600)
    pd.testing.assert_frame_equal(batch.features, sent[list(model.kinds)], check_dtype=False)
    assert batch.target is None and batch.name.startswith("API requests")
    check = run_check(model, batch, keep=False)
    assert check.decay is None and {f.name for f in check.drift.features if f.drifted} >= {"x1"}
    with pytest.raises(MonitorError, match="answered no requests"):
        batch_from_traffic(model, since=time.time() + 60)


def test_a_model_whose_project_is_gone_is_a_plain_message(tmp_path):
    recorder = register_toy(tmp_path / "home")
    recorder.store.delete(recorder.store.list()[0].id)
    with pytest.raises(ServeError, match="not in this workbench home") as caught:
        watched(f"{NAME}@champion", tmp_path / "home")
    assert "Import the project" in caught.value.hint
