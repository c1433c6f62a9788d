"""AppTest for the Predict page: the form, a batch file, and importing (or refusing) model files."""

from __future__ import annotations

import json
import pickle
import sys
from pathlib import Path

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "unit"))
from model_helpers import make_dataset, make_frame, train

from mlcore.deploy.bundle import build_bundle
from mlcore.deploy.input_schema import schema_from_run
from mlcore.deploy.predict import row_frame

PAGE = "pages/predict.py"
FRAME = make_frame(140)


@pytest.fixture(scope="module")
def trained():
    dataset = make_dataset(FRAME, "label")
    return dataset, train(dataset, "random_forest")


def _chart(at: AppTest, key: str) -> dict:
    return next(json.loads(c.proto.spec) for c in at.get("plotly_chart") if key in c.proto.id)


def test_without_a_model_the_page_offers_training_or_import(open_with_runs):
    at = open_with_runs(PAGE)
    assert any("No model yet" in i.value for i in at.info)
    assert at.get("file_uploader")  # the bundle import is there


def test_the_form_has_a_widget_per_feature_with_training_defaults(trained, open_with_runs):
    dataset, run = trained
    at = open_with_runs(PAGE, dataset, [run])
    schema = schema_from_run(run, dataset)
    prefix = f"predict_form@run {run.id}"
    assert at.number_input(key=f"{prefix}:a").value == pytest.approx(schema.feature("a").default)
    assert at.selectbox(key=f"{prefix}:colour").value == schema.feature("colour").levels[0]
    assert at.toggle(key=f"{prefix}:flag").value == schema.feature("flag").default
    at.number_input(key=f"{prefix}:a").set_value(2.5)
    next(b for b in at.button if b.label == "Predict").click().run()
    assert not at.exception
    values = {f.name: f.default for f in schema.features} | {"a": 2.5}
    expected = run.pipeline.predict(row_frame(schema, values).astype({"flag": float}))[0]
    assert at.metric[0].label == "Predicted label" and at.metric[0].value == expected
    proba = _chart(at, "predict_proba")["data"][0]
    assert set(proba["y"]) == {"no", "yes"}
    waterfall = _chart(at, "waterfall")["data"][0]  # the row's explanation
    assert waterfall["y"][0] == "average prediction" and any("a = 2.5" in y for y in waterfall["y"])


def test_a_file_is_checked_predicted_and_offered_for_download(trained, open_with_runs):
    dataset, run = trained
    at = open_with_runs(PAGE, dataset, [run])
    new = FRAME.drop(columns=["label", "kind", "price"]).head(25).assign(extra="x")
    at.file_uploader(key="predict_file").set_value(
        ("new.csv", new.to_csv(index=False).encode(), "text/csv")
    ).run()
    assert not at.exception
    assert any("Predicted 25 rows" in s.value for s in at.success)
    assert any("'extra'" in i.value for i in at.info)
    shown = at.dataframe[0].value
    np.testing.assert_array_equal(
        shown["predicted label"].to_numpy(), run.pipeline.predict(new[dataset.features])
    )
    labels = [b.proto.label for b in at.get("download_button")]
    assert labels == ["Download CSV", "Download Parquet"]
    # a file without a needed column: the error names it
    at.file_uploader(key="predict_file").set_value(
        ("bad.csv", new.drop(columns=["colour"]).to_csv(index=False).encode(), "text/csv")
    ).run()
    assert any("'colour'" in e.value for e in at.error)


def test_import_a_bundle_and_refuse_a_pickle(trained, tmp_path, open_with_runs):
    dataset, run = trained
    at = open_with_runs(PAGE)
    bundle = build_bundle(run, dataset)
    at.file_uploader(key="predict_import").set_value(
        (bundle.filename, bundle.zip_bytes(), "application/zip")
    ).run()
    assert not at.exception and not at.error
    assert "Imported:" in at.selectbox[0].format_func(at.selectbox[0].value)
    assert at.session_state["workspace"].imported_models[0].run_id == run.id
    marker = tmp_path / "ran.txt"

    class Touch:
        def __reduce__(self):
            return (open, (str(marker), "w"))

    at.file_uploader(key="predict_import").set_value(
        ("model.pkl", pickle.dumps(Touch()), "application/octet-stream")
    ).run()
    assert any("runs whatever code it contains" in e.value for e in at.error)
    assert not marker.exists()
    assert len(at.session_state["workspace"].imported_models) == 1
