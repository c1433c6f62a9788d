"""AppTest for the Explain page with trained runs put into the workspace."""

from __future__ import annotations

import json
import sys
import time
from dataclasses import replace
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "unit"))
from model_helpers import make_dataset, make_frame, train

from mlcore.evaluate.holdout import ranked
from mlcore.explain import explainer as explain
from mlcore.explain import shap_values
from mlcore.explain.mistakes import confidently_wrong
from mlcore.explain.shap_values import ExplainSettings
from mlcore.train.split import SplitSpec

PAGE = "pages/explain.py"


@pytest.fixture(scope="module")
def trained():
    dataset = make_dataset(make_frame(160), "kind")
    split = SplitSpec(test_size=0.25, cv_folds=0)
    return dataset, [train(dataset, "xgboost", split=split), train(dataset, "knn", split=split)]


def _charts(at: AppTest) -> dict[str, dict]:
    return {c.proto.id: json.loads(c.proto.spec) for c in at.get("plotly_chart")}


def _chart(at: AppTest, key: str) -> dict:
    return next(spec for name, spec in _charts(at).items() if key in name)


def test_without_a_model_the_page_points_to_training(trained, open_with_runs):
    dataset, _ = trained
    at = open_with_runs(PAGE, dataset)
    assert any("No trained model" in i.value for i in at.info)
    assert not at.get("plotly_chart")


def test_global_views_in_original_column_names(trained, open_with_runs):
    dataset, runs = trained
    at = open_with_runs(PAGE, dataset, runs)
    assert at.selectbox[0].label == "Model" and at.selectbox[0].value == ranked(runs)[0].id  # best first
    # The XGBoost run, chosen before on another page.
    at = open_with_runs(PAGE, dataset, runs, use_run=runs[0].id)
    assert at.selectbox[0].value == runs[0].id
    bars = _chart(at, "explain_bar")["data"][0]
    assert set(bars["y"]) == {"a", "b", "colour", "flag"}  # summed back: one bar per column
    permutation = _chart(at, "explain_permutation")["data"][0]
    assert set(permutation["y"]) == {"a", "b", "colour", "flag"}
    assert _chart(at, "explain_swarm") and _chart(at, "explain_dependence_plot")
    at.toggle(key="explain_expanded").set_value(True).run()
    expanded = _chart(at, "explain_bar")["data"][0]["y"]
    assert any(name.startswith("categorical__colour_") for name in expanded)
    at.selectbox(key="explain_output").set_value("low").run()
    assert "class low" in _chart(at, "explain_swarm")["layout"]["title"]["text"]
    ws = at.session_state["workspace"]
    assert len([v for v in ws.explanations.values() if isinstance(v, explain.GlobalExplanation)]) == 1


def test_one_row_starts_with_the_most_confidently_wrong(trained, open_with_runs):
    dataset, runs = trained
    at = open_with_runs(PAGE, dataset, runs, use_run=runs[0].id)
    at.session_state["explain_tab"] = "One row"
    at.run()
    assert not at.exception
    wrong = confidently_wrong(runs[0])
    row = at.selectbox(key="explain_row")
    assert row.value == wrong["row"].iloc[0]
    assert "actual" in row.format_func(row.value)
    waterfall = _chart(at, "explain_local")["data"][0]
    assert waterfall["type"] == "waterfall" and waterfall["y"][0] == "average prediction"
    predicted = runs[0].y_pred[list(runs[0].holdout_index).index(row.value)]
    assert at.selectbox(key="explain_local_class").value == predicted


def test_slow_explanations_run_in_the_background(trained, monkeypatch, open_with_runs):
    dataset, runs = trained
    monkeypatch.setattr(shap_values, "BUDGET", replace(shap_values.BUDGET, fast_seconds=0.0))  # all slow
    knn = runs[1]
    settings = ExplainSettings(agnostic_rows=5, background=10)
    at = open_with_runs(PAGE, dataset, [knn], explain_settings=settings)
    assert any("KernelExplainer" in i.value and "row(s):" in i.value for i in at.info)  # the estimate first
    next(b for b in at.button if b.label == "Explain").click().run()
    deadline = time.monotonic() + 120
    while not any("explain_bar" in c.proto.id for c in at.get("plotly_chart")):
        assert time.monotonic() < deadline and not at.exception
        time.sleep(0.5)
        at.run()
    assert (
        len(_chart(at, "explain_swarm")["data"][0]["x"]) + len(_chart(at, "explain_swarm")["data"][-1]["x"])
        > 0
    )
    assert "KernelExplainer" in at.expander[0].label
