"""The served model's API contract: every endpoint, each validation error, MLflow's formats, CSV, Arrow
IPC streams (hostile ones included), the API key on and off, and a fuzz of the whole API from its own
OpenAPI document (no 5xx, ever).

Predictions are checked against `predict_frame`, which is what the Predict page shows.
"""

from __future__ import annotations

import asyncio
import io
import json
import sys
import threading

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from model_helpers import make_dataset, make_frame, train

from mlcore.deploy.input_schema import schema_from_run
from mlcore.deploy.predict import predict_frame, predictor_from_run
from mlcore.deploy.rest_api import (
    ARROW_STREAM,
    Answer,
    ApiModel,
    ApiSettings,
    Batcher,
    InputProblem,
    make_app,
)
from mlcore.serve.sources import api_model
from mlcore.train.run_data import training_rows

FEATURES = ["a", "b", "colour", "flag"]
ARROW = {"Content-Type": ARROW_STREAM}


@pytest.fixture(scope="module")
def classifier():
    dataset = make_dataset(make_frame(150), "label")
    run = train(dataset, "logistic_regression")
    predictor = predictor_from_run(run, dataset)
    return predictor, dataset, run


def _client(predictor, **options) -> TestClient:
    model = api_model(predictor, "churn", "3", {"training_data_hash": "abc"})
    return TestClient(make_app(model, ApiSettings(**options)))


def _rows(dataset, n=5) -> list[dict]:
    frame = dataset.frame[FEATURES].head(n)
    return json.loads(frame.to_json(orient="records"))


def _exact_rows(frame: pd.DataFrame) -> list[dict]:
    """The rows as JSON values with every float exact (to_json rounds), missing as None."""
    return frame.astype(object).where(frame.notna(), None).to_dict("records")


def _arrow(data: pd.DataFrame | pa.Table, chunk: int | None = None, **options) -> bytes:
    """`data` as an Arrow IPC stream, as a client writes one (record batches of `chunk` rows)."""
    table = data if isinstance(data, pa.Table) else pa.Table.from_pandas(data, preserve_index=False)
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, table.schema, options=pa.ipc.IpcWriteOptions(**options)) as writer:
        writer.write_table(table, max_chunksize=chunk)
    return sink.getvalue().to_pybytes()


def test_predict_answers_as_the_predict_page_with_probabilities_by_class_name(classifier):
    predictor, dataset, _ = classifier
    rows = _rows(dataset, 8)
    answer = _client(predictor).post("/predict", json={"records": rows})
    assert answer.status_code == 200
    body = answer.json()
    expected = predict_frame(predictor, pd.DataFrame(rows))
    assert (body["model"], body["version"]) == ("churn", "3")
    assert body["predictions"] == expected.labels.tolist()
    for got, (_, want) in zip(body["probabilities"], expected.probabilities().iterrows(), strict=True):
        assert set(got) == {"no", "yes"}
        assert got["yes"] == pytest.approx(want["probability yes"], abs=1e-12)
        assert got["no"] + got["yes"] == pytest.approx(1)
    assert body["flags"] == []


def test_each_validation_problem_is_a_422_naming_its_row_and_field(classifier):
    predictor, dataset, _ = classifier
    client = _client(predictor)
    good = _rows(dataset, 1)[0]
    bad = [
        {k: v for k, v in good.items() if k != "b"},  # missing
        {**good, "a": "tall"},  # wrong type
        {**good, "extra": 1},  # unknown field
    ]
    answer = client.post("/predict", json={"records": [good, *bad]})
    assert answer.status_code == 422
    problems = {(p["row"], p["field"]): p["message"] for p in answer.json()["problems"]}
    assert problems == {
        (1, "b"): "'b' is missing; send it, as null when the value is unknown.",
        (2, "a"): "'a' should be a number; got \"tall\".",
        (3, "extra"): "'extra' is not an input of this model; remove it (GET /metadata lists the inputs).",
    }
    for body in (b"{not json", b"[]", b'{"records": []}', b'{"rows": []}'):
        answer = client.post("/predict", content=body)
        assert answer.status_code == 422, body
        assert answer.json()["problems"], body


def test_dataframe_split_is_validated_column_by_column_with_the_same_messages(classifier):
    predictor, dataset, _ = classifier
    client = _client(predictor)
    good = [[r[c] for c in FEATURES] for r in _rows(dataset, 4)]
    a, colour, flag = (FEATURES.index(c) for c in ("a", "colour", "flag"))
    bad = [list(row) for row in good]
    bad[1][a], bad[2][a], bad[3][colour], bad[0][flag] = "tall", True, ["x"], 1

    def problems(columns, data, content=None):
        body = {"dataframe_split": {"columns": columns, "data": data}}
        answer = client.post("/invocations", content=content or json.dumps(body))
        assert answer.status_code == 422
        return {(p["row"], p["field"]): p["message"] for p in answer.json()["problems"]}

    assert problems(FEATURES, bad) == {
        (1, "a"): "'a' should be a number; got \"tall\".",
        (2, "a"): "'a' should be a number; got true.",  # true is not a number here
        (3, "colour"): "'colour' should be one of the training categories (text or a number); got [\"x\"].",
        (0, "flag"): "'flag' should be true or false; got 1.",
    }
    nan = json.dumps({"dataframe_split": {"columns": FEATURES, "data": good}}).replace(
        str(good[2][a]), "NaN", 1
    )
    (message,) = problems(FEATURES, good, nan.encode()).values()  # NaN is not JSON: null is missing
    assert message.startswith("The body is not valid JSON (")
    assert problems([*FEATURES[1:], "extra"], [[*row[1:], 0] for row in good]) == {
        (None, "a"): "'a' is missing; send it, as null when the value is unknown.",
        (None, "extra"): "'extra' is not an input of this model; remove it (GET /metadata lists the inputs).",
    }
    shuffled = client.post(  # any column order; nulls are missing values
        "/invocations",
        json={"dataframe_split": {"columns": FEATURES[::-1], "data": [row[::-1] for row in good]}},
    )
    expected = predict_frame(predictor, pd.DataFrame(good, columns=FEATURES))
    assert shuffled.status_code == 200 and shuffled.json()["predictions"] == expected.labels.tolist()


def test_null_is_a_missing_value_and_an_unseen_category_is_predicted_and_flagged(classifier):
    predictor, dataset, _ = classifier
    row = {**_rows(dataset, 1)[0], "b": None, "colour": "purple"}
    answer = _client(predictor).post("/predict", json={"records": [row]})
    assert answer.status_code == 200
    body = answer.json()
    expected = predict_frame(predictor, pd.DataFrame([row]))
    assert body["predictions"] == expected.labels.tolist()
    assert body["flags"] == [
        {
            "row": 0,
            "field": "colour",
            "value": "purple",
            "message": "'purple' was never seen in training; the model treats it as an unknown category.",
        }
    ]


def test_mlflow_formats_give_the_same_answers_as_predict_in_mlflow_s_shape(classifier):
    predictor, dataset, _ = classifier
    client = _client(predictor)
    rows = _rows(dataset, 6)
    direct = client.post("/predict", json={"records": rows}).json()
    records = client.post("/invocations", json={"dataframe_records": rows})
    frame = pd.DataFrame(rows)
    split = client.post(
        "/invocations", json={"dataframe_split": json.loads(frame.to_json(orient="split", index=False))}
    )
    for answer in (records, split):
        assert answer.status_code == 200
        assert answer.json()["predictions"] == direct["predictions"]
        # As `mlflow models serve` answers a scikit-learn model: its predictions (probabilities: /predict).
        assert set(answer.json()) == {"predictions", "model", "version", "flags"}
    short = {"dataframe_split": {"columns": FEATURES, "data": [[1.0, 2.0]]}}
    assert client.post("/invocations", json=short).status_code == 422
    assert client.post("/invocations", json={"instances": rows}).status_code == 422


def test_csv_in_csv_out_with_formulas_escaped(classifier):
    predictor, dataset, _ = classifier
    client = _client(predictor)
    frame = dataset.frame[FEATURES].head(4).copy()
    frame["note"] = ["=HYPERLINK(1)", "ok", "+1", "@x"]
    csv_type = {"content-type": "text/csv"}
    answer = client.post("/predict/csv", content=frame.to_csv(index=False), headers=csv_type)
    assert answer.status_code == 200
    out = pd.read_csv(io.StringIO(answer.text), keep_default_na=False)
    expected = predict_frame(predictor, frame)
    assert out["predicted label"].tolist() == expected.labels.tolist()
    assert np.allclose(out["probability yes"], expected.frame["probability yes"])
    assert out["note"].tolist() == ["'=HYPERLINK(1)", "ok", "'+1", "'@x"]
    missing = client.post("/predict/csv", content="a,b\n1,2\n")
    assert missing.status_code == 422
    assert {p["field"] for p in missing.json()["problems"]} == {"colour", "flag"}
    assert client.post("/predict/csv", content=b"\xff\xfe\x00bad").status_code == 422


def test_metadata_health_and_ready(classifier):
    predictor, dataset, run = classifier
    client = _client(predictor)
    assert client.get("/health").json() == {"status": "ok"}
    assert client.get("/ready").json() == {"ready": True, "model": "churn", "version": "3"}
    meta = client.get("/metadata").json()
    schema = schema_from_run(run, dataset)
    training = training_rows(run, dataset)
    inputs = {i["name"]: i for i in meta["inputs"]}
    assert list(inputs) == schema.names
    assert inputs["a"]["observed_range"] == [training["a"].min(), training["a"].max()]
    assert set(inputs["colour"]["levels"]) == set(training["colour"].dropna())
    assert all(i["required"] for i in inputs.values())
    assert meta["classes"] == ["no", "yes"]
    assert meta["training_data_hash"] == "abc"


def test_api_key_guards_predictions_but_not_health(classifier):
    predictor, dataset, _ = classifier
    client = _client(predictor, api_key="s3cret")
    body = {"records": _rows(dataset, 1)}
    assert client.post("/predict", json=body).status_code == 401
    assert client.post("/predict", json=body, headers={"Authorization": "Bearer wrong"}).status_code == 401
    assert client.post("/predict", json=body, headers={"Authorization": "Bearer s3cret"}).status_code == 200
    assert client.get("/metadata").status_code == 401
    assert client.get("/health").status_code == 200
    document = client.get("/openapi.json").json()
    assert document["paths"]["/predict"]["post"]["security"] == [{"bearer": []}]
    open_client = _client(predictor)
    assert open_client.post("/predict", json=body).status_code == 200


def test_body_over_the_limit_is_413_and_too_many_rows_422(classifier):
    predictor, dataset, _ = classifier
    client = _client(predictor, max_body_bytes=2_000, max_rows=10)
    rows = _rows(dataset, 40)
    assert client.post("/predict", json={"records": rows}).status_code == 413

    def chunks():  # no Content-Length: the limit holds for a streamed body too
        yield json.dumps({"records": rows}).encode()

    assert client.post("/predict", content=chunks()).status_code == 413
    answer = client.post("/predict", json={"records": _rows(dataset, 11)[:11]})
    assert answer.status_code in (413, 422)
    small = _client(predictor, max_rows=10)
    assert small.post("/predict", json={"records": _rows(dataset, 11)}).status_code == 422


def test_regressor_answers_values_without_probabilities():
    dataset = make_dataset(make_frame(120), "price")
    run = train(dataset, "ridge")
    predictor = predictor_from_run(run, dataset)
    rows = json.loads(dataset.frame[FEATURES].head(3).to_json(orient="records"))
    body = _client(predictor).post("/predict", json={"records": rows}).json()
    assert "probabilities" not in body
    assert body["predictions"] == pytest.approx(predict_frame(predictor, pd.DataFrame(rows)).labels.tolist())


def test_stats_count_requests_errors_and_latency(classifier):
    predictor, dataset, _ = classifier
    client = _client(predictor)
    for _ in range(3):
        client.post("/predict", json={"records": _rows(dataset, 1)})
    client.post("/predict", json={"records": [{"a": 1}]})
    stats = client.get("/stats").json()
    assert (stats["requests"], stats["client_errors"], stats["server_errors"]) == (4, 1, 0)
    assert 0 < stats["latency_ms"]["p50"] <= stats["latency_ms"]["p99"]


@pytest.fixture(scope="module")
def fuzzed_schema(classifier):
    predictor, _, _ = classifier
    app = make_app(api_model(predictor, "churn", "3", {}), ApiSettings(api_key="k"))
    schemathesis.serializer.alias(ARROW_STREAM, "application/octet-stream")  # its bodies are bytes
    return schemathesis.openapi.from_asgi("/openapi.json", app)


def test_fuzzing_the_api_from_its_openapi_document_never_gives_a_5xx(fuzzed_schema):
    checked, media_types = [], set()
    for result in fuzzed_schema.get_all_operations():
        operation = result.ok()

        @given(case=operation.as_strategy())
        @settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck), database=None)
        def never_a_server_error(case):
            media_types.add(case.media_type)
            for headers in ({}, {"Authorization": "Bearer k"}):
                response = case.call(headers=headers)
                assert response.status_code < 500, (case.path, case.body, response.text[:300])

        never_a_server_error()
        checked.append(operation.path)
    assert {"/predict", "/invocations", "/predict/csv", "/metadata"} <= set(checked)
    assert {"application/json", ARROW_STREAM, "text/csv"} <= media_types


def test_a_number_so_large_that_scaling_overflows_is_a_422_not_a_500(classifier):
    """Found by the fuzz: 1e308 passes validation, then the scaler overflows it to infinity."""
    predictor, dataset, _ = classifier
    row = {**_rows(dataset, 1)[0], "a": sys.float_info.max, "b": -sys.float_info.max}
    answer = _client(predictor).post("/predict", json={"records": [row]})
    assert answer.status_code == 422
    assert answer.json()["error"].startswith("The model could not predict these rows")


def test_requests_that_arrive_together_are_predicted_together_and_one_bad_request_stays_its_own():
    sizes = []

    def predict(frame: pd.DataFrame) -> Answer:
        sizes.append(len(frame))
        if (frame["x"] == 5).any():
            raise ValueError("x = 5 overflows")
        return Answer(frame["x"].to_numpy() * 2)

    model = ApiModel("m", "1", [{"name": "x", "kind": "numeric"}], "y", "regression", predict)

    async def send(batcher: Batcher, values: range) -> list:
        tasks = [asyncio.create_task(batcher.predict({"x": [i]})) for i in values]
        return await asyncio.gather(*tasks, return_exceptions=True)

    async def send_all() -> tuple[list, list]:
        batcher = Batcher(model, max_rows=4)
        together = await send(batcher, range(4))  # one call for the four
        return together, await send(batcher, range(10))  # 4 + 4 + 2; the failing one split up

    found = []  # on a thread of its own: an earlier test's client may leave this thread's loop running
    thread = threading.Thread(target=lambda: found.extend(asyncio.run(send_all())))
    thread.start()
    thread.join(30)
    together, outcomes = found
    assert sizes == [4, 4, 4, 1, 1, 1, 1, 2]
    assert [o.predictions.tolist() for o in together] == [[0], [2], [4], [6]]
    for i, outcome in enumerate(outcomes):
        if i == 5:
            assert isinstance(outcome, InputProblem) and "overflows" in outcome.message
        else:
            assert outcome.predictions.tolist() == [2 * i]


# ---------- Arrow IPC streams ----------


def test_an_arrow_batch_answers_as_json_does_and_as_the_pipeline_in_process(classifier):
    predictor, dataset, run = classifier
    client = _client(predictor)
    frame = dataset.frame[FEATURES].head(60)
    assert frame["b"].isna().any() and frame["colour"].isna().any()  # nulls are missing values
    whole = frame.assign(a=frame["a"].round().astype("int64"))  # integers in a numeric input
    for rows in (frame, whole):
        split = {"columns": FEATURES, "data": [list(r.values()) for r in _exact_rows(rows)]}
        for path, body in (
            ("/predict", {"records": _exact_rows(rows)}),
            ("/invocations", {"dataframe_split": split}),
        ):
            expected = client.post(path, json=body)
            assert expected.status_code == 200
            for stream in (_arrow(rows), _arrow(rows[FEATURES[::-1]], chunk=7)):  # any order, several batches
                answer = client.post(path, content=stream, headers=ARROW)
                assert answer.status_code == 200, answer.text
                assert answer.json() == expected.json()
    body = client.post(
        "/predict", content=_arrow(frame), headers={"content-type": f"{ARROW_STREAM}; x=1"}
    ).json()
    assert body["predictions"] == run.pipeline.predict(frame).tolist()
    classes = [str(c) for c in run.pipeline.classes_]
    probabilities = [[row[c] for c in classes] for row in body["probabilities"]]
    np.testing.assert_allclose(probabilities, run.pipeline.predict_proba(frame), rtol=0, atol=1e-12)


def test_arrow_timestamps_answer_as_iso_dates_in_json():
    dataset = make_dataset(make_frame(160, dates=True), "label")
    predictor = predictor_from_run(train(dataset, "logistic_regression"), dataset)
    client = _client(predictor)
    frame = dataset.frame[[*FEATURES, "when"]].head(20)
    rows = json.loads(frame.to_json(orient="records", date_format="iso", double_precision=15))
    expected = client.post("/predict", json={"records": rows})
    answer = client.post("/predict", content=_arrow(frame), headers=ARROW)
    assert expected.status_code == answer.status_code == 200
    assert answer.json()["predictions"] == expected.json()["predictions"]
    assert answer.json()["predictions"] == predict_frame(predictor, frame).labels.tolist()


def test_arrow_columns_are_validated_as_dataframe_split_with_the_same_messages(classifier):
    predictor, dataset, _ = classifier
    client = _client(predictor)
    good = dataset.frame[FEATURES].head(4)
    columns = {
        "a": ["1.5", "tall", None, "2"],  # text is not a number, even when it reads as one
        "b": [True, False, None, None],  # nor is true
        "colour": good["colour"].tolist(),
        "flag": [1, 0, 1, None],  # 1 is not true
    }
    table = pa.table(columns)
    split = {"columns": FEATURES, "data": [list(row) for row in zip(*columns.values(), strict=True)]}

    def problems(answer) -> dict:
        assert answer.status_code == 422, answer.text
        return {(p["row"], p["field"]): p["message"] for p in answer.json()["problems"]}

    from_arrow = problems(client.post("/invocations", content=_arrow(table), headers=ARROW))
    assert from_arrow == problems(client.post("/invocations", json={"dataframe_split": split}))
    assert from_arrow[(1, "a")] == "'a' should be a number; got \"tall\"."
    assert from_arrow[(0, "b")] == "'b' should be a number; got true."
    assert from_arrow[(0, "flag")] == "'flag' should be true or false; got 1."
    renamed = problems(
        client.post("/predict", content=_arrow(good.rename(columns={"a": "extra"})), headers=ARROW)
    )
    assert renamed == {
        (None, "a"): "'a' is missing; send it, as null when the value is unknown.",
        (None, "extra"): "'extra' is not an input of this model; remove it (GET /metadata lists the inputs).",
    }
    not_finite = pa.table({**good.to_dict("list"), "a": [np.nan, np.inf, 1.0, 2.0]})  # NaN, not null
    assert problems(client.post("/predict", content=_arrow(not_finite), headers=ARROW)) == {
        (0, "a"): "'a' should be a number; got NaN.",
        (1, "a"): "'a' should be a number; got Infinity.",
    }


def _hostile_streams(good: pd.DataFrame) -> dict[str, tuple[bytes, str]]:
    """Bodies sent as Arrow streams that must each be refused, with the start of the message."""
    stream = _arrow(good)
    table = pa.Table.from_pandas(good.head(1), preserve_index=False)
    many = pa.concat_tables([table.slice(0, 0)] * 1_000 + [table])  # 1,001 chunks: 1,000 of them empty
    nested = pa.table(
        {
            **good.to_dict("list"),
            "a": pa.array([{"x": v} for v in good["a"]]),
            "colour": pa.array([[v] for v in good["colour"]]),
        }
    )
    return {
        "garbage": (b"\x00garbage\xff" * 100, "The body is not a readable Arrow IPC stream ("),
        "empty body": (b"", "The body is not an Arrow IPC stream: it does not start with a schema."),
        "JSON": (json.dumps({"records": _exact_rows(good)}).encode(), "The body is not a readable Arrow"),
        "cut short": (stream[: len(stream) - 40], "The body is not a readable Arrow IPC stream ("),
        "no rows": (_arrow(good.head(0)), "The Arrow stream holds no rows."),
        "zstd": (_arrow(good, compression="zstd"), "The Arrow stream holds compressed buffers;"),
        "lz4": (_arrow(good, compression="lz4"), "The Arrow stream holds compressed buffers;"),
        "dictionary": (
            _arrow(good.astype({"colour": "category"})),
            "The Arrow stream has 1 column(s) of a type",
        ),
        "nested": (_arrow(nested), "The Arrow stream has 2 column(s) of a type"),
        "binary": (
            _arrow(pa.table({**good.to_dict("list"), "b": [b"\x01"] * len(good)})),
            "The Arrow stream has 1",
        ),
        "1,001 batches": (_arrow(many), "The Arrow stream holds more than 1,000 record batches."),
        "11 rows": (
            _arrow(pd.concat([good, good, good]).head(11), chunk=4),
            "The Arrow stream has more than 10 rows.",
        ),
    }


def test_each_hostile_arrow_stream_is_a_plain_422(classifier):
    predictor, dataset, _ = classifier
    client = _client(predictor, max_rows=10)
    fields = {}
    for case, (body, message) in _hostile_streams(dataset.frame[FEATURES].head(5)).items():
        for path in ("/predict", "/invocations"):
            answer = client.post(path, content=body, headers=ARROW)
            assert answer.status_code == 422, (case, path, answer.text)
            found = answer.json()
            assert set(found) == {"error", "hint", "problems"} and found["hint"], case
            assert found["error"].startswith(message), (case, found)
        fields[case] = {p["field"] for p in found["problems"]}
    assert (fields["dictionary"], fields["nested"], fields["binary"]) == ({"colour"}, {"a", "colour"}, {"b"})


@given(cuts=st.lists(st.tuples(st.integers(0, 10_000), st.integers(0, 255)), min_size=1, max_size=4))
@settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck), database=None)
def test_a_damaged_arrow_stream_is_refused_or_answered_never_a_5xx(classifier, cuts):
    """Bytes of a valid stream overwritten (metadata, offsets, lengths, values): a 4xx or an answer."""
    predictor, dataset, _ = classifier
    stream = bytearray(_arrow(dataset.frame[FEATURES].head(12), chunk=5))
    for at, value in cuts:
        stream[at % len(stream)] = value
    answer = _client(predictor).post("/invocations", content=bytes(stream), headers=ARROW)
    assert answer.status_code in (200, 422), answer.text[:300]


def test_an_unseen_category_in_an_arrow_stream_is_predicted_and_flagged_as_in_json(classifier):
    predictor, dataset, _ = classifier
    client = _client(predictor)
    frame = dataset.frame[FEATURES].head(3).assign(colour=["red", None, "purple"])
    expected = client.post("/predict", json={"records": _exact_rows(frame)}).json()
    body = client.post(
        "/predict", content=_arrow(frame, chunk=1), headers=ARROW
    ).json()  # counted across batches
    assert body == expected
    assert body["flags"] == [
        {
            "row": 2,
            "field": "colour",
            "value": "purple",
            "message": "'purple' was never seen in training; the model treats it as an unknown category.",
        }
    ]


def test_arrow_bodies_need_the_api_key_and_the_document_names_their_content_type(classifier):
    predictor, dataset, _ = classifier
    client = _client(predictor, api_key="s3cret")
    stream = _arrow(dataset.frame[FEATURES].head(3))
    for path in ("/predict", "/invocations"):
        assert client.post(path, content=stream, headers=ARROW).status_code == 401
        assert client.post(path, content=b"junk", headers=ARROW).status_code == 401  # the key before the body
        keyed = client.post(path, content=stream, headers={**ARROW, "Authorization": "Bearer s3cret"})
        assert keyed.status_code == 200
    document = client.get("/openapi.json").json()
    for path in ("/predict", "/invocations"):
        content = document["paths"][path]["post"]["requestBody"]["content"]
        assert content[ARROW_STREAM] == {"schema": {"type": "string", "format": "binary"}}
        assert "application/json" in content


def test_a_server_without_pyarrow_answers_arrow_with_a_plain_415(classifier, monkeypatch):
    """The bundle's standalone serve.py may run where pyarrow is not installed."""
    predictor, dataset, _ = classifier
    client = _client(predictor)
    stream = _arrow(dataset.frame[FEATURES].head(2))
    monkeypatch.setitem(sys.modules, "pyarrow", None)  # `import pyarrow` now fails
    answer = client.post("/predict", content=stream, headers=ARROW)
    assert answer.status_code == 415
    assert (
        answer.json()["error"]
        == "This server cannot read Arrow IPC streams: pyarrow is not installed where it runs."
    )
    monkeypatch.undo()
    assert client.post("/predict", content=stream, headers=ARROW).status_code == 200
