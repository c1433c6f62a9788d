"""Issue 11, item 17: a threshold chosen on Evaluate is the model's decision rule on Predict, in the
bundle's predict.py and model card, and when the bundle is imported again."""

from __future__ import annotations

import io
import json
import zipfile

import numpy as np
import pandas as pd
import pytest
from model_helpers import make_dataset, make_frame, run_script, train

from mlcore.deploy.bundle import BundleError, build_bundle, load_model_file
from mlcore.deploy.predict import predict_frame, predictor_from_run
from mlcore.evaluate.decision_rule import DecisionRule, DecisionRuleError, rule_for

THRESHOLD = 0.8


@pytest.fixture(scope="module")
def binary():
    dataset = make_dataset(make_frame(160), "label")
    return dataset, train(dataset, "logistic_regression")


def _rows(dataset, run) -> pd.DataFrame:
    return dataset.frame.loc[run.holdout_index, dataset.features]


def test_a_chosen_threshold_decides_the_predictions(binary):
    dataset, run = binary
    rows = _rows(dataset, run)
    predictor = predictor_from_run(run, dataset, THRESHOLD)
    assert predictor.rule == DecisionRule(THRESHOLD, "yes", "no", "probability")
    prediction = predict_frame(predictor, rows)
    by_hand = np.where(run.pipeline.predict_proba(rows)[:, 1] > THRESHOLD, "yes", "no")
    assert list(prediction.labels) == list(by_hand)
    assert list(by_hand) != list(run.pipeline.predict(rows))  # the threshold changes some answers
    assert any("above 0.800" in note and "uses 0.5" in note for note in prediction.notes)
    default = predictor_from_run(run, dataset, 0.5)  # the model's own threshold: its own rule
    assert default.rule is None
    assert list(predict_frame(default, rows).labels) == list(run.pipeline.predict(rows))


def test_a_model_with_decision_values_takes_a_decision_threshold():
    dataset = make_dataset(make_frame(160), "label")
    run = train(dataset, "linear_svm")
    rows = _rows(dataset, run)
    predictor = predictor_from_run(run, dataset, -0.4)
    assert predictor.rule is not None and predictor.rule.score == "decision"
    expected = np.where(run.pipeline.decision_function(rows) > -0.4, "yes", "no")
    assert list(predict_frame(predictor, rows).labels) == list(expected)


def test_the_bundle_carries_the_rule_into_its_card_predict_py_and_back(binary, tmp_path):
    dataset, run = binary
    rule = rule_for(run.classes, True, THRESHOLD)
    bundle = build_bundle(run, dataset, rule=rule)
    card = json.loads(bundle.files["model_card.json"])
    assert card["decision_rule"] == {
        "threshold": THRESHOLD,
        "positive": "yes",
        "negative": "no",
        "score": "probability",
    }
    assert "above 0.800" in bundle.text("model_card.md")
    # predict.py applies it, with nothing of the workbench
    folder = tmp_path / "bundle"
    zipfile.ZipFile(io.BytesIO(bundle.zip_bytes())).extractall(folder)
    rows = _rows(dataset, run)
    rows.to_csv(folder / "new.csv", index=False)
    run_script(folder, "predict.py", "new.csv", "-o", "out.csv")
    written = pd.read_csv(folder / "out.csv")
    by_hand = np.where(run.pipeline.predict_proba(rows)[:, 1] > THRESHOLD, "yes", "no")
    assert list(written["predicted label"]) == list(by_hand)
    # imported again, the model keeps its rule
    imported = load_model_file(bundle.zip_bytes(), bundle.filename)
    assert imported.rule == rule
    assert list(predict_frame(imported, rows).labels) == list(by_hand)


def test_a_card_whose_rule_does_not_fit_its_model_is_refused(binary):
    dataset, run = binary
    bundle = build_bundle(run, dataset, rule=rule_for(run.classes, True, THRESHOLD))
    card = json.loads(bundle.files["model_card.json"])
    for broken in (
        {**card["decision_rule"], "positive": "maybe"},  # not one of the model's classes
        {**card["decision_rule"], "threshold": 7},  # no probability above 1
        "above 0.8",  # not a rule at all
    ):
        files = {**bundle.files, "model_card.json": json.dumps({**card, "decision_rule": broken}).encode()}
        archive = io.BytesIO()
        with zipfile.ZipFile(archive, "w") as zipped:
            for name, data in files.items():
                zipped.writestr(name, data)
        with pytest.raises((BundleError, DecisionRuleError)):
            load_model_file(archive.getvalue(), "bundle.zip")


def test_no_rule_for_a_model_of_more_than_two_classes():
    assert rule_for(("a", "b", "c"), True, 0.7) is None
    assert rule_for(("a", "b"), True, None) is None
    assert rule_for(("a", "b"), False, 0.0) is None  # a decision value's own threshold
