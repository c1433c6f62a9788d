"""Issue 11, item 17, on the pages: a threshold set on Evaluate is stated and used on Predict and Export."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from apptest_support import shown

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "unit"))
from model_helpers import make_dataset, make_frame, train

from mlcore.evaluate.refit import EvaluationState


@pytest.fixture(scope="module")
def trained():
    dataset = make_dataset(make_frame(140), "label")
    return dataset, train(dataset, "logistic_regression")


def test_predict_states_and_applies_the_chosen_threshold(trained, open_with_runs):
    dataset, run = trained
    at = open_with_runs(
        "pages/predict.py", dataset, [run], evaluation=EvaluationState(thresholds={run.id: 0.9})
    )
    assert any("above 0.900" in shown(c.value) and "Evaluate page" in shown(c.value) for c in at.caption)
    next(b for b in at.button if b.label == "Predict").click().run()
    assert not at.exception
    assert any("above 0.900" in shown(c.value) for c in at.caption)  # said with the prediction too


def test_export_says_the_bundle_carries_the_threshold(trained, open_with_runs):
    dataset, run = trained
    at = open_with_runs(
        "pages/export.py", dataset, [run], evaluation=EvaluationState(thresholds={run.id: 0.9})
    )
    assert any("above 0.900" in shown(i.value) and "predict.py applies it" in shown(i.value) for i in at.info)
    at = open_with_runs("pages/export.py", dataset, [run])
    assert any("Decision rule: the model's own" in shown(c.value) for c in at.caption)
