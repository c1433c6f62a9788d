"""Issue 12, item 7: a bundle exported before the stage packages still imports and predicts the same.

The fixture was exported by the workbench as it stood before the move (tag issue11-done): its
model.skops names our types where they lived then (`mlcore.prep.OutlierClipper`,
`mlcore.models.LabelEncodedXGBClassifier`, …). Its model.joblib, a pickle, was left out: imports never
read it.
"""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd

from mlcore.deploy.bundle import load_model_file
from mlcore.deploy.predict import predict_frame

FIXTURE = Path(__file__).resolve().parents[1] / "data" / "bundles"
BUNDLE = FIXTURE / "made-before-the-layout-move.zip"


def _old_type_paths() -> set[str]:
    skops = zipfile.ZipFile(io.BytesIO(zipfile.ZipFile(BUNDLE).read("model.skops")))
    found, stack = set(), [json.loads(skops.read("schema.json"))]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            if str(node.get("__module__", "")).startswith("mlcore"):
                found.add(f"{node['__module__']}.{node['__class__']}")
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
    return found


def test_a_bundle_from_before_the_move_imports_and_predicts_as_it_did():
    assert {"mlcore.prep.OutlierClipper", "mlcore.models.LabelEncodedXGBClassifier"} <= _old_type_paths()
    predictor = load_model_file(BUNDLE.read_bytes(), BUNDLE.name)
    rows = pd.read_parquet(FIXTURE / "made-before-the-layout-move-rows.parquet")
    expected = json.loads((FIXTURE / "made-before-the-layout-move-expected.json").read_text())
    prediction = predict_frame(predictor, rows)
    assert [str(v) for v in prediction.labels] == expected["predicted"]
    np.testing.assert_allclose(prediction.probabilities().to_numpy(), expected["proba"], rtol=0, atol=1e-12)
