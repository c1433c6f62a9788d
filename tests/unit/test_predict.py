"""Predictions on new data: schema check, type coercion, unseen levels, outputs and safe CSV."""

from __future__ import annotations

import io

import numpy as np
import pandas as pd
import pytest
from model_helpers import make_dataset, make_frame, train

from mlcore.data.loading import load_bytes
from mlcore.deploy.input_schema import schema_from_run
from mlcore.deploy.predict import (
    ColumnTypeError,
    MissingColumnsError,
    escape_formulas,
    parquet_bytes,
    predict_frame,
    predict_one,
    predictor_from_run,
    prepare_rows,
    safe_csv_bytes,
)

FRAME = make_frame(150)
DATASET = make_dataset(FRAME, "kind")
RUN = train(DATASET, "random_forest")
PREDICTOR = predictor_from_run(RUN, DATASET)


def test_schema_comes_from_the_pipeline_and_the_training_rows():
    schema = schema_from_run(RUN, DATASET)
    assert schema.names == ["a", "b", "colour", "flag"]
    kinds = {f.name: f.kind for f in schema.features}
    assert kinds == {"a": "numeric", "b": "numeric", "colour": "categorical", "flag": "boolean"}
    train_rows = DATASET.frame.drop(index=RUN.holdout_index)
    assert schema.feature("a").default == pytest.approx(train_rows["a"].median())
    assert schema.feature("a").low == pytest.approx(train_rows["a"].min())
    assert schema.feature("colour").levels[0] == train_rows["colour"].value_counts().index[0]
    assert set(schema.feature("colour").levels) == {"red", "green", "blue"}
    assert schema.classes == ("high", "low", "mid")


def test_predictions_equal_the_pipeline_and_probabilities_are_appended():
    rows = DATASET.frame.loc[RUN.holdout_index]
    prediction = predict_frame(PREDICTOR, rows.drop(columns=["kind"]))
    proba = RUN.pipeline.predict_proba(rows[DATASET.features])
    np.testing.assert_array_equal(prediction.labels.to_numpy(), RUN.y_pred)
    np.testing.assert_allclose(prediction.probabilities().to_numpy(), proba)
    assert prediction.probability_columns == ("probability high", "probability low", "probability mid")
    assert list(prediction.frame.columns[:4]) == ["a", "b", "colour", "flag"]  # the rows as given, first


def test_missing_columns_are_listed_in_a_typed_error():
    with pytest.raises(MissingColumnsError) as caught:
        prepare_rows(FRAME[["a", "flag"]], PREDICTOR.schema)
    assert caught.value.missing == ["b", "colour"]
    assert "'b', 'colour'" in caught.value.message and "kind" in caught.value.hint


def test_extra_columns_are_ignored_and_types_are_coerced_with_notes():
    new = pd.DataFrame(
        {
            "a": ["1.5", "2", "oops"],  # numbers read as text, one of them not a number
            "b": [0.1, np.nan, 3.0],
            "colour": ["red", "purple", None],  # 'purple' was never seen in training
            "flag": ["yes", "FALSE", "maybe"],
            "comment": ["x", "y", "z"],
            "kind": ["low", "mid", "high"],
        }
    )
    X, notes = prepare_rows(new, PREDICTOR.schema)
    assert X["a"].tolist()[:2] == [1.5, 2.0] and np.isnan(X["a"].iloc[2])
    assert X["flag"].tolist()[:2] == [1.0, 0.0] and np.isnan(X["flag"].iloc[2])
    text = " ".join(notes)
    assert "'comment'" in text and "ignored" in text
    assert "'a': 1 cell(s) are not numbers ('oops')" in text
    assert "'purple'" in text and "not seen in training" in text
    assert "target column 'kind'" in text
    prediction = predict_frame(PREDICTOR, new)  # the unseen level goes through the pipeline
    assert len(prediction.frame) == 3 and prediction.frame["predicted kind"].isin(RUN.classes).all()


def test_a_column_without_any_readable_value_is_reported():
    new = FRAME[["a", "b", "colour", "flag"]].head(3).assign(a=["x", "y", "z"])
    with pytest.raises(ColumnTypeError, match="'a' should hold numbers"):
        prepare_rows(new, PREDICTOR.schema)


def test_one_row_from_a_form_equals_the_batch_prediction():
    row = FRAME.iloc[7]
    values = {"a": float(row["a"]), "b": None, "colour": row["colour"], "flag": bool(row["flag"])}
    single = predict_one(PREDICTOR, values)
    batch = predict_frame(PREDICTOR, pd.DataFrame([values]))
    assert single.labels.iloc[0] == batch.labels.iloc[0]
    np.testing.assert_allclose(single.probabilities().to_numpy(), batch.probabilities().to_numpy())
    expected = RUN.pipeline.predict_proba(pd.DataFrame([values]).astype({"b": float, "flag": float}))
    np.testing.assert_allclose(single.probabilities().to_numpy(), expected)


def test_an_uploaded_file_is_read_like_training_data():
    csv = FRAME.drop(columns=["label", "price"]).head(20).to_csv(index=False).encode()
    frame = load_bytes(csv, "new.csv")[0].frame
    prediction = predict_frame(PREDICTOR, frame)
    expected = RUN.pipeline.predict(FRAME.head(20)[DATASET.features])
    np.testing.assert_array_equal(prediction.labels.to_numpy(), expected)


def test_regression_appends_one_prediction_column():
    dataset = make_dataset(FRAME, "price")
    run = train(dataset, "ridge")
    prediction = predict_frame(predictor_from_run(run, dataset), FRAME.head(5))
    assert prediction.probability_columns == ()
    np.testing.assert_allclose(
        prediction.labels.to_numpy(), run.pipeline.predict(FRAME.head(5)[dataset.features])
    )
    assert "predicted price (model)" not in prediction.frame.columns  # 'price' itself is kept as given


def test_formula_cells_are_escaped_in_every_csv():
    frame = pd.DataFrame(
        {
            "text": ["=1+1", "+cmd", "-2+3", "@SUM(A1)", "\tx", "\rx", "plain", "a=b", None],
            "number": [-1.5, 2, 3, 4, 5, 6, 7, 8, 9],
        }
    )
    frame["=HYPERLINK(1)"] = "ok"
    escaped = escape_formulas(frame)
    assert escaped["text"].tolist()[:6] == ["'=1+1", "'+cmd", "'-2+3", "'@SUM(A1)", "'\tx", "'\rx"]
    assert escaped["text"].tolist()[6:8] == ["plain", "a=b"] and escaped["text"].iloc[8] is None
    assert escaped["number"].tolist() == frame["number"].tolist()  # numbers are not text: untouched
    assert "'=HYPERLINK(1)" in escaped.columns
    assert frame["text"].iloc[0] == "=1+1"  # the original is not changed
    back = pd.read_csv(io.BytesIO(safe_csv_bytes(frame)))
    assert back["text"].iloc[0] == "'=1+1" and back["number"].iloc[0] == -1.5
    assert not any(str(v).startswith(("=", "+", "-", "@")) for v in back["text"].dropna())


def test_parquet_keeps_the_values():
    prediction = predict_frame(PREDICTOR, FRAME.head(5))
    back = pd.read_parquet(io.BytesIO(parquet_bytes(prediction.frame)))
    pd.testing.assert_frame_equal(back, prediction.frame.reset_index(drop=True))
