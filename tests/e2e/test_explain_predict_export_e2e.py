"""A new user in Chromium: trains a model, explains it, predicts one row with the form, downloads
the bundle, and loads its joblib model in a separate Python process that has no workbench."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import zipfile

import pytest
from browser_helpers import add_option, go_to, load_sample, wait_for_app
from playwright.sync_api import expect

pytestmark = pytest.mark.e2e

NO_MLCORE = """
import importlib.abc, json, sys
class _Block(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path, target=None):
        if name == "mlcore" or name.startswith("mlcore."):
            raise ImportError("no workbench here")
sys.meta_path.insert(0, _Block())
import joblib, pandas as pd
card = json.load(open("model_card.json"))
row = {f["name"]: f["default"] for f in card["features"]}
model = joblib.load("model.joblib")
print(model.predict(pd.DataFrame([row]))[0])
"""


def _charts(page, count: int) -> None:
    """Wait until `count` plotly charts have drawn."""
    expect(page.get_by_test_id("stPlotlyChart").locator(".main-svg").nth(count - 1)).to_be_attached(
        timeout=60_000
    )


def test_train_explain_predict_and_export(page, tmp_path):
    main = page.get_by_test_id("stMain")
    load_sample(page, "Palmer penguins")

    go_to(page, "Train")
    add_option(page, page.get_by_test_id("stMultiSelect").filter(has_text="Models"), "Random forest")
    page.get_by_role("button", name="Train 1 model").click()
    expect(main.get_by_text(re.compile("^Last training:"))).to_be_visible(timeout=120_000)

    go_to(page, "Explain")
    expect(main.get_by_text("Explainer: SHAP TreeExplainer")).to_be_visible(timeout=60_000)
    start = main.get_by_role("button", name="Explain", exact=True)
    if start.count():  # on a busy machine the estimate says "slow": it then runs in the background
        start.click()
    _charts(page, 4)  # SHAP bars, permutation bars, beeswarm, dependence
    swarm = page.get_by_test_id("stPlotlyChart").nth(2)
    for column in ("island", "bill_length_mm", "sex"):  # the user's own column names, not one-hot levels
        expect(swarm.get_by_text(column, exact=True)).to_be_attached()
    page.get_by_role("tab", name="One row").click()
    wait_for_app(page)
    expect(main.get_by_text("Why this prediction")).to_be_visible(timeout=60_000)

    go_to(page, "Predict")
    main.get_by_role("button", name="Predict").click()
    wait_for_app(page)
    metric = page.get_by_test_id("stMetric").filter(has_text="Predicted species")
    expect(metric).to_be_visible()
    predicted = metric.get_by_test_id("stMetricValue").inner_text().strip()
    assert predicted in {"Adelie", "Chinstrap", "Gentoo"}
    expect(main.get_by_text("Why this prediction")).to_be_visible(timeout=60_000)
    page.screenshot(path=str(tmp_path / "predict.png"), full_page=True)

    go_to(page, "Export")
    expect(main.get_by_text("def build_pipeline").first).to_be_attached()
    with page.expect_download(timeout=120_000) as download:
        page.get_by_role("button", name="Download the bundle (.zip)").click()
    archive = tmp_path / "bundle.zip"
    download.value.save_as(archive)
    folder = tmp_path / "bundle"
    zipfile.ZipFile(archive).extractall(folder)
    assert {"model.joblib", "model.skops", "train.py", "predict.py", "model_card.md"} <= set(
        os.listdir(folder)
    )
    assert json.loads((folder / "model_card.json").read_text())["target"] == "species"
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    done = subprocess.run(
        [sys.executable, "-c", NO_MLCORE], cwd=folder, env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == predicted  # the form's defaults give the same prediction outside the app
