"""The REST API of one model: validation from its input schema, MLflow's scoring formats, CSV, Arrow
IPC streams for batches, and plain 4xx answers for every problem a request can have.

This module imports only the standard library, numpy, pandas, pydantic and FastAPI (and pyarrow, when
installed, once an Arrow body comes), never `mlcore`, so that a standalone server can carry it as it
is. What predicts is passed in (`ApiModel.predict`): the workbench (`mlcore.serve`) passes the
Predict page's rules.

Inputs are hostile: the body is bounded before it is read (413), JSON is validated by pydantic types
generated from the schema (each feature a field; every field required, null for a missing value; no
unknown field; `dataframe_split` column by column, a column whose values already have the allowed
types checked in bulk), an Arrow stream by the same names and column validators (its numbers taken
as arrays; nothing compressed, dictionary-encoded or nested is decoded), and every problem becomes a
422 listing one message per row and field. A category never seen in training is predicted as the
pipeline treats unknown levels (as the Predict page does) and flagged in the answer. Nothing a
request holds is ever executed.
"""

from __future__ import annotations

import asyncio
import contextlib
import csv
import hmac
import io
import itertools
import json
import math
import struct
import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import cached_property
from operator import itemgetter
from typing import Annotated, Any

import numpy as np
import pandas as pd
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response
from pydantic import (
    ConfigDict,
    Field,
    StrictBool,
    StrictFloat,
    StrictInt,
    StrictStr,
    TypeAdapter,
    ValidationError,
)
from pydantic_core import from_json, to_json
from starlette.concurrency import run_in_threadpool
from typing_extensions import TypedDict  # pydantic needs this one on Python < 3.12

KEY_VARIABLE = "MLCORE_API_KEY"  # the environment variable a server reads its API key from
MAX_BODY_BYTES = 64 << 20
MAX_ROWS = 100_000
LATENCIES_KEPT = 10_000  # the most recent request latencies the percentiles are computed from
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")  # a spreadsheet runs a cell that starts so
PROTECTED = ("/predict", "/predict/csv", "/invocations", "/metadata", "/stats")
ARROW_STREAM = "application/vnd.apache.arrow.stream"  # the content type of an Arrow IPC stream body
ARROW_MAX_BATCHES = 1_000  # record batches read per stream: each costs Python time, even an empty one
ARROW_HINT = (
    "Send one Arrow IPC stream (pyarrow.ipc.new_stream), uncompressed, one column per input "
    "(GET /metadata lists them), of numbers, text, booleans, dates or timestamps."
)
Columns = dict[str, Sequence[Any]]  # a request's rows, the values of each feature (numbers: an array)
KIND_WORDS = {
    "numeric": "a number",
    "categorical": "one of the training categories (text or a number)",
    "boolean": "true or false",
    "datetime": "a date or time (ISO 8601, such as 2024-05-31 or 2024-05-31T14:00:00)",
    "text": "text",
}


class InputProblem(Exception):
    """A request the model cannot answer, told as a sentence, a hint and one message per field (a 422,
    unless the server cannot read the body's kind at all)."""

    def __init__(
        self, message: str, hint: str = "", problems: list[dict[str, Any]] | None = None, status: int = 422
    ) -> None:
        super().__init__(message)
        self.message, self.hint, self.problems, self.status = message, hint, problems or [], status


@dataclass(frozen=True)
class Answer:
    """What the model said for the rows: labels or values, class probabilities (rows × classes) and
    notes about the conversions made."""

    predictions: np.ndarray
    probabilities: np.ndarray | None = None
    classes: list[Any] | None = None
    notes: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class ApiModel:
    """A model as the API sees it: its input features (the model card's `features`: name, kind,
    default, low, high, levels), what it predicts, facts for `/metadata`, and the function that
    predicts a frame of rows holding exactly the features."""

    name: str
    version: str
    features: list[dict[str, Any]]
    target: str
    task: str
    predict: Callable[[pd.DataFrame], Answer]
    classes: list[Any] | None = None
    facts: dict[str, Any] = field(default_factory=dict)
    levels_kept: int = 200  # a feature listing fewer levels than this lists every training level

    @cached_property
    def names(self) -> list[str]:
        return [f["name"] for f in self.features]

    @cached_property
    def kinds(self) -> dict[str, str]:
        return {f["name"]: f.get("kind", "categorical") for f in self.features}

    @cached_property
    def complete_levels(self) -> dict[str, frozenset[str]]:
        """The training levels as text, of each categorical feature whose levels are all listed."""
        return {
            f["name"]: frozenset(map(str, f["levels"]))
            for f in self.features
            if f.get("kind") == "categorical" and f.get("levels") and len(f["levels"]) < self.levels_kept
        }


@dataclass(frozen=True)
class Exchange:
    """One answered prediction request, for the traffic log: its inputs as sent (after validation),
    one list of values per feature."""

    time: float
    path: str
    inputs: Columns
    answer: Answer
    latency_ms: float


@dataclass(frozen=True)
class ApiSettings:
    """How the API is guarded: a bearer key (None: open, only for 127.0.0.1), CORS origins (none:
    off), the largest body and the most rows per request, and where answered requests go."""

    api_key: str | None = None
    cors_origins: tuple[str, ...] = ()
    max_body_bytes: int = MAX_BODY_BYTES
    max_rows: int = MAX_ROWS
    on_exchange: Callable[[Exchange], None] | None = None


class Stats:
    """Request counts and latency percentiles since the server started (thread-safe)."""

    def __init__(self) -> None:
        self.started = time.time()
        self.requests = self.client_errors = self.server_errors = 0
        self.latencies: deque[float] = deque(maxlen=LATENCIES_KEPT)
        self.last: float | None = None
        self._lock = threading.Lock()

    def add(self, status: int, latency_ms: float) -> None:
        with self._lock:
            self.requests += 1
            self.client_errors += 400 <= status < 500
            self.server_errors += status >= 500
            self.latencies.append(latency_ms)
            self.last = time.time()

    def summary(self) -> dict[str, Any]:
        with self._lock:
            latencies = np.fromiter(self.latencies, float)
            counts = {
                "requests": self.requests,
                "client_errors": self.client_errors,
                "server_errors": self.server_errors,
            }
            last = self.last
        p50, p95, p99 = (
            (round(float(v), 2) for v in np.percentile(latencies, [50, 95, 99]))
            if len(latencies)
            else (None,) * 3
        )
        return {
            **counts,
            "latency_ms": {"p50": p50, "p95": p95, "p99": p99},
            "started": self.started,
            "last_request": last,
        }


# ---------- the input type ----------


def _field_type(feature: dict[str, Any]) -> Any:
    kind = feature.get("kind")
    if kind == "numeric":
        return StrictFloat | StrictInt | None
    if kind == "boolean":
        return StrictBool | None
    if kind == "datetime":
        return datetime | date | None
    if kind == "text":
        return StrictStr | None
    return StrictStr | StrictInt | StrictFloat | StrictBool | None  # categories of any scalar kind


def row_type(model: ApiModel) -> Any:
    """The pydantic type of one row: a TypedDict keyed by the column names as they are (any string),
    every field required, nothing else allowed."""
    row = TypedDict("Row", {f["name"]: _field_type(f) for f in model.features})  # type: ignore[misc]
    row.__pydantic_config__ = ConfigDict(extra="forbid", allow_inf_nan=False)  # type: ignore[attr-defined]
    return row


def _records(model: ApiModel, settings: ApiSettings) -> Any:
    return Annotated[list[row_type(model)], Field(min_length=1, max_length=settings.max_rows)]


@dataclass(frozen=True)
class _Types:
    """The request types of one model, made once."""

    predict: TypeAdapter
    rows: TypeAdapter
    split: TypeAdapter
    columns: dict[str, TypeAdapter]  # each feature's values (dataframe_split, validated by column)
    invocations: TypeAdapter  # only for the OpenAPI document: the handler reads the key first


def _types(model: ApiModel, settings: ApiSettings) -> _Types:
    # The functional form because the row type is made at run time (and keys may be any string).
    records = _records(model, settings)
    predict = TypedDict("PredictRequest", {"records": records})  # type: ignore[misc]  # noqa: UP013
    predict.__pydantic_config__ = ConfigDict(extra="forbid")  # type: ignore[attr-defined]
    split = TypedDict(  # type: ignore[misc]  # noqa: UP013
        "DataframeSplit",
        {
            "columns": list[StrictStr],
            "data": Annotated[list[list[Any]], Field(min_length=1, max_length=settings.max_rows)],
            "index": list[Any],
        },
        total=False,
    )
    split.__pydantic_config__ = ConfigDict(extra="forbid")  # type: ignore[attr-defined]
    by_records = TypedDict("DataframeRecords", {"dataframe_records": records})  # type: ignore[misc]  # noqa: UP013
    by_split = TypedDict("DataframeSplitRequest", {"dataframe_split": split})  # type: ignore[misc]  # noqa: UP013
    for kind in (by_records, by_split):
        kind.__pydantic_config__ = ConfigDict(extra="forbid")  # type: ignore[attr-defined]
    columns = {f["name"]: _column_type(f) for f in model.features}
    return _Types(
        TypeAdapter(predict),
        TypeAdapter(records),
        TypeAdapter(split),
        columns,
        TypeAdapter(by_records | by_split),
    )


def _column_type(feature: dict[str, Any]) -> TypeAdapter:
    return TypeAdapter(list[_field_type(feature)], config=ConfigDict(allow_inf_nan=False))


_JSON_OBJECT = TypeAdapter(dict[str, Any])  # for what `_json_object` refuses, said as pydantic says it
_SCALARS = {  # the Python types of a feature's valid values, by kind (as `_field_type` allows them)
    "numeric": {float, int, type(None)},
    "categorical": {str, int, float, bool, type(None)},
    "boolean": {bool, type(None)},
    "text": {str, type(None)},
}


# ---------- problems in words ----------


def _invalid(items: list[dict[str, Any]], model: ApiModel) -> InputProblem:
    """A 422 from validation errors (pydantic's, or made alike: `type` and `loc` of row and field)."""
    problems = _problems(items, model)
    count = len(problems)
    return InputProblem(
        f"The request has {count} problem(s)." if count > 1 else "The request has a problem.",
        "Each problem names its row (counted from 0) and field; GET /metadata lists every input.",
        problems,
    )


def _problems(items: list[dict[str, Any]], model: ApiModel) -> list[dict[str, Any]]:
    """One message per row and field (a union type reports each of its members: said once)."""
    kinds = model.kinds
    found: dict[tuple[Any, Any], dict[str, Any]] = {}
    for item in items:
        loc = list(item.get("loc", ()))
        at = next((i for i, p in enumerate(loc) if isinstance(p, int)), None)
        if at is None:
            row, name = None, (str(loc[-1]) if loc else None)
        else:
            row, name = loc[at], (str(loc[at + 1]) if len(loc) > at + 1 else None)
        if (row, name) not in found and len(found) < 100:
            found[(row, name)] = {"row": row, "field": name, "message": _sentence(item, name, kinds)}
    return list(found.values())


def _sentence(item: dict[str, Any], name: str | None, kinds: dict[str, str]) -> str:
    kind, got = item.get("type", ""), item.get("input")
    if kind == "missing":
        if name in kinds:
            return f"'{name}' is missing; send it, as null when the value is unknown."
        return f"'{name}' is required."
    if kind == "extra_forbidden":
        return f"'{name}' is not an input of this model; remove it (GET /metadata lists the inputs)."
    if kind == "json_invalid":
        return f"The body is not valid JSON ({item.get('ctx', {}).get('error', 'unreadable')})."
    if name in kinds and kind not in ("too_short", "too_long"):
        return f"'{name}' should be {KIND_WORDS.get(kinds[name], 'a value')}; got {_shown(got)}."
    return (
        f"{item.get('msg', 'Invalid value')}." if name is None else f"'{name}': {item.get('msg', 'invalid')}."
    )


def _shown(value: Any) -> str:
    text = json.dumps(value, default=str)
    return text if len(text) <= 60 else text[:57] + "…"


def _error(
    status: int, message: str, hint: str = "", problems: list[dict[str, Any]] | None = None
) -> JSONResponse:
    body: dict[str, Any] = {"error": message, "hint": hint}
    if problems is not None:
        body["problems"] = problems
    return JSONResponse(body, status_code=status)


# ---------- answers ----------


def unseen_flags(model: ApiModel, columns: Columns) -> list[dict[str, Any]]:
    """Cells holding a category never seen in training (only for features whose levels are all
    listed); the model still predicts, treating them as an unknown level."""
    flags: list[dict[str, Any]] = []
    for name, levels in model.complete_levels.items():
        values = columns[name]
        unseen = {v for v in set(values) if v is not None and str(v) not in levels}  # each value once
        for row in [i for i, v in enumerate(values) if v in unseen][:1000] if unseen else ():
            flags.append(
                {
                    "row": row,
                    "field": name,
                    "value": values[row],
                    "message": f"'{values[row]}' was never seen in training; "
                    "the model treats it as an unknown category.",
                }
            )
    return flags


def _answer_body(
    model: ApiModel, answer: Answer, flags: list[dict[str, Any]], probabilities: bool = True
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "model": model.name,
        "version": model.version,
        "predictions": np.asarray(answer.predictions).tolist(),  # NaN is written as null
    }
    if probabilities and answer.probabilities is not None and answer.classes is not None:
        names = [str(c) for c in answer.classes]
        body["probabilities"] = [dict(zip(names, row, strict=True)) for row in answer.probabilities.tolist()]
    body["flags"] = flags
    return body


def json_bytes(value: Any) -> bytes:
    """JSON as the API writes it: compact, NaN and infinities as null, anything else as its text."""
    return to_json(value, inf_nan_mode="null", fallback=str)


def _json(body: dict[str, Any], status: int = 200) -> Response:
    return Response(json_bytes(body), status_code=status, media_type="application/json")


def escape_cell(value: Any) -> Any:
    return "'" + value if isinstance(value, str) and value.startswith(FORMULA_START) else value


def _csv_answer(model: ApiModel, frame: pd.DataFrame, answer: Answer) -> bytes:
    out = frame.copy()
    out[f"predicted {model.target}"] = answer.predictions
    if answer.probabilities is not None and answer.classes is not None:
        for j, label in enumerate(answer.classes):
            out[f"probability {label}"] = answer.probabilities[:, j]
    text = out.select_dtypes(include=["object", "string"]).columns
    out[text] = out[text].map(escape_cell)
    out.columns = [escape_cell(str(c)) for c in out.columns]
    return out.to_csv(index=False).encode("utf-8")


# ---------- reading bodies ----------


def _columns(names: list[str], rows: list[dict[str, Any]]) -> Columns:
    """Validated rows as one list of values per feature."""
    if len(names) == 1:
        return {names[0]: [row[names[0]] for row in rows]}
    return dict(zip(names, map(list, zip(*map(itemgetter(*names), rows), strict=True)), strict=True))


def _split_columns(model: ApiModel, split: Any, types: _Types, max_rows: int) -> Columns:
    """`dataframe_split` checked and validated column by column (its rows are lists in the order of
    `columns`): every input once, nothing else, one value per column in every row."""
    if not _plain_split(split, max_rows):
        split = types.split.validate_python(split)  # its errors say what is wrong with the shape
    columns, data = split.get("columns"), split.get("data", [])
    if columns is None:
        raise InputProblem(
            "dataframe_split needs 'columns'.", 'Send {"columns": [...], "data": [[...], ...]}.'
        )
    _check_names(model, columns, "dataframe_split")
    if set(map(len, data)) != {len(columns)}:
        i, values = next((i, v) for i, v in enumerate(data) if len(v) != len(columns))
        raise InputProblem(
            f"Row {i} of dataframe_split has {len(values)} value(s) for {len(columns)} column(s).",
            "Give every row one value per column, null where unknown.",
            [{"row": i, "field": None, "message": "wrong number of values"}],
        )
    return _validated(model, types, dict(zip(columns, zip(*data, strict=True), strict=True)))


def _check_names(model: ApiModel, names: list[str], body: str) -> None:
    """A body's column names: every input once and nothing else, else a 422 (`body` names the body)."""
    if len(set(names)) != len(names):
        raise InputProblem(f"{body} names a column twice.", "Give each column once.")
    given = set(names)
    wrong = [{"type": "missing", "loc": (n,)} for n in model.names if n not in given]
    wrong += [{"type": "extra_forbidden", "loc": (n,)} for n in names if n not in model.kinds]
    if wrong:
        raise _invalid(wrong, model)


def _validated(model: ApiModel, types: _Types, given: dict[str, Sequence[Any]]) -> Columns:
    """Each input's values as its validator gives them (an array is numbers already read as finite
    floats, null as NaN), in the model's order; every column's problems in one 422."""
    found: Columns = {}
    problems: list[dict[str, Any]] = []
    for name, values in given.items():
        plain = values if isinstance(values, np.ndarray) else _plain_column(values, model.kinds[name])
        if plain is not None:
            found[name] = plain
            continue
        try:
            found[name] = types.columns[name].validate_python(values)
        except ValidationError as exc:
            problems += [{**e, "loc": (e["loc"][0], name)} for e in exc.errors(include_url=False)]
    if problems:
        raise _invalid(problems, model)
    return {name: found[name] for name in model.names}


def _plain_split(split: Any, max_rows: int) -> bool:
    """Whether `dataframe_split` has the shape its type asks for, checked in bulk (a valid batch
    skips validating ten thousand rows one by one)."""
    return (
        isinstance(split, dict)
        and set(split) <= {"columns", "data", "index"}
        and isinstance(split.get("columns"), list)
        and set(map(type, split["columns"])) <= {str}
        and isinstance(split.get("data"), list)
        and 1 <= len(split["data"]) <= max_rows
        and set(map(type, split["data"])) == {list}
        and isinstance(split.get("index", []), list)
    )


def _plain_column(values: Sequence[Any], kind: str) -> Sequence[Any] | None:
    """The column's values if they already are what its validator would give (each of a type the
    kind allows, numbers finite; numbers as floats, null as NaN), checked in bulk; else None, and the
    validator parses (dates) or says what is wrong, value by value."""
    allowed = _SCALARS.get(kind)
    found = set(map(type, values))
    if allowed is None or not found <= allowed:
        return None
    if kind == "numeric":
        with contextlib.suppress(OverflowError):  # an integer past a float's range: the validator's
            numbers = np.array(values, dtype=float)
            return None if np.isinf(numbers).any() else numbers  # 1e400 reads as infinity
        return None
    if float in found and not all(math.isfinite(v) for v in values if type(v) is float):
        return None
    return values


def _json_object(raw: bytes, model: ApiModel) -> dict[str, Any]:
    """The body parsed as JSON (a fast parser, without validating what it holds): an object, else a
    422 said as for any other request."""
    try:
        body = from_json(raw, allow_inf_nan=False)  # NaN and Infinity are not JSON: null is missing
    except ValueError as exc:
        raise _invalid([{"type": "json_invalid", "loc": (), "ctx": {"error": str(exc)}}], model) from None
    if not isinstance(body, dict):
        return _JSON_OBJECT.validate_python(body)  # raises pydantic's own error for it
    return body


def _mlflow_columns(model: ApiModel, raw: bytes, types: _Types, max_rows: int) -> Columns:
    """The rows of a JSON body in one of MLflow's scoring formats, as `mlflow models serve` reads it."""
    body = _json_object(raw, model)
    if set(body) == {"dataframe_records"}:
        return _columns(model.names, types.rows.validate_python(body["dataframe_records"]))
    if set(body) == {"dataframe_split"}:
        return _split_columns(model, body["dataframe_split"], types, max_rows)
    raise InputProblem(
        "The body should hold one key: dataframe_records or dataframe_split.",
        'As `mlflow models serve` reads them: {"dataframe_records": [{...}, ...]} or '
        '{"dataframe_split": {"columns": [...], "data": [[...], ...]}}.',
    )


def _arrow_columns(model: ApiModel, raw: bytes, types: _Types, max_rows: int) -> Columns:
    """An Arrow IPC stream's rows, checked as `dataframe_split`'s (names, then each column by its
    validator, with the same messages); a numeric input's numbers go straight into a float array."""
    pa = _pyarrow()
    try:
        table = _arrow_table(pa, model, raw, max_rows)
        given = {name: _arrow_values(pa, table[name], model.kinds[name]) for name in table.column_names}
    except (pa.ArrowException, OSError, OverflowError, ValueError, struct.error) as exc:
        raise InputProblem(
            f"The body is not a readable Arrow IPC stream ({str(exc).splitlines()[0][:200]}).", ARROW_HINT
        ) from None
    return _validated(model, types, given)


def _pyarrow() -> Any:
    """pyarrow, imported only when an Arrow body comes: a standalone server may not have it (then a
    415, said plainly)."""
    try:
        import pyarrow
    except ImportError:
        raise InputProblem(
            "This server cannot read Arrow IPC streams: pyarrow is not installed where it runs.",
            "Send the rows as JSON, or install pyarrow next to the server.",
            status=415,
        ) from None
    return pyarrow


def _arrow_table(pa: Any, model: ApiModel, raw: bytes, max_rows: int) -> Any:
    """The stream's record batches as one table, read message by message so that nothing is decoded
    before it is checked: the schema (names; plain column types only, so no dictionaries or nesting),
    then each batch (never compressed: a few bytes could inflate to gigabytes; at most
    `ARROW_MAX_BATCHES`, and rows counted, bounded by `max_rows`; buffers fully validated before any
    value is read)."""
    messages = iter(pa.ipc.MessageReader.open_stream(pa.py_buffer(raw)))
    first = next(messages, None)
    if first is None or first.type != "schema":
        raise InputProblem(
            "The body is not an Arrow IPC stream: it does not start with a schema.", ARROW_HINT
        )
    schema = pa.ipc.read_schema(first)
    _check_names(model, schema.names, "The Arrow stream")
    _check_arrow_types(pa, schema)
    batches, rows = [], 0
    for message in messages:
        if message.type != "record batch" or _compressed(message.metadata.to_pybytes()):
            what = "compressed buffers" if message.type == "record batch" else f"a {message.type} message"
            raise InputProblem(
                f"The Arrow stream holds {what}; this API reads only plain record batches.", ARROW_HINT
            )
        if len(batches) == ARROW_MAX_BATCHES:
            raise InputProblem(
                f"The Arrow stream holds more than {ARROW_MAX_BATCHES:,} record batches.",
                "Write the rows as fewer, larger batches (pyarrow: table.combine_chunks()).",
            )
        batch = pa.ipc.read_record_batch(message, schema)
        rows += batch.num_rows
        if rows > max_rows:
            raise InputProblem(
                f"The Arrow stream has more than {max_rows:,} rows.", "Split the rows over several requests."
            )
        batch.validate(full=True)
        batches.append(batch)
    if not rows:
        raise InputProblem("The Arrow stream holds no rows.", "Write at least one record batch with rows.")
    return pa.Table.from_batches(batches, schema)


def _check_arrow_types(pa: Any, schema: Any) -> None:
    """Only plain columns: numbers, text, booleans, dates, timestamps (or all null); a 422 naming each
    other column (dictionary-encoded, nested, binary, decimal …)."""
    plain = (
        pa.types.is_null,
        pa.types.is_boolean,
        pa.types.is_integer,
        pa.types.is_floating,
        pa.types.is_string,
        pa.types.is_large_string,
        pa.types.is_string_view,
        pa.types.is_date,
        pa.types.is_timestamp,
    )
    refused = [f for f in schema if not any(test(f.type) for test in plain)]
    if refused:
        raise InputProblem(
            f"The Arrow stream has {len(refused)} column(s) of a type this API does not read.",
            "Send plain values: decode dictionary columns (pandas: category columns .astype(object)) and "
            "flatten nested ones.",
            [
                {
                    "row": None,
                    "field": f.name,
                    "message": f"'{f.name}' is sent as Arrow type {_shown(str(f.type))}; send plain values.",
                }
                for f in refused
            ],
        )


def _compressed(metadata: bytes) -> bool:
    """Whether a record batch message says its buffers are compressed, read from its flatbuffer
    metadata (which pyarrow has verified) before anything is decompressed: the `compression` field
    (3) of the RecordBatch table that is the `header` field (2) of the Message table."""
    message = struct.unpack_from("<I", metadata)[0]
    header = _flatbuffer_field(metadata, message, 2)
    if header is None:
        return False
    batch = header + struct.unpack_from("<I", metadata, header)[0]
    return _flatbuffer_field(metadata, batch, 3) is not None


def _flatbuffer_field(buffer: bytes, table: int, index: int) -> int | None:
    """Where field `index` of the flatbuffer table at `table` is stored, or None when it is absent."""
    vtable = table - struct.unpack_from("<i", buffer, table)[0]
    slot = 4 + 2 * index
    if slot + 2 > struct.unpack_from("<H", buffer, vtable)[0]:
        return None
    offset = struct.unpack_from("<H", buffer, vtable + slot)[0]
    return table + offset if offset else None


def _arrow_values(pa: Any, column: Any, kind: str) -> Sequence[Any]:
    """A column's values: a numeric input's integers or floats as one float array (null as NaN) when
    every number is finite; anything else as Python values, for the validator to judge."""
    if kind == "numeric" and (pa.types.is_integer(column.type) or pa.types.is_floating(column.type)):
        numbers = column.cast(pa.float64(), safe=False).to_numpy()
        if np.isfinite(numbers).sum() == len(numbers) - column.null_count:
            return numbers
    return column.to_pylist()


def _frame(model: ApiModel, columns: Columns) -> pd.DataFrame:
    """The rows as the model's input frame: numbers as floats (null as NaN), other values as
    pandas reads them from lists (as a frame made from the same rows would hold them)."""
    data: dict[str, Any] = {}
    for name, kind in model.kinds.items():
        data[name] = columns[name]
        if kind == "numeric":
            # An integer past a float's range stays as given: the rules for new rows say what it is.
            with contextlib.suppress(OverflowError, TypeError, ValueError):
                data[name] = np.asarray(columns[name], dtype=float)
    return pd.DataFrame(data, index=pd.RangeIndex(_count(columns)))


def _read_csv(model: ApiModel, body: bytes, max_rows: int) -> pd.DataFrame:
    try:
        text = body.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputProblem("The CSV is not UTF-8 text.", "Save the file as UTF-8 CSV.") from exc
    try:
        frame = pd.read_csv(
            io.StringIO(text), dtype=str, keep_default_na=False, na_values=[""], nrows=max_rows + 1
        )
    except (ValueError, csv.Error, pd.errors.ParserError) as exc:
        raise InputProblem(
            f"The CSV could not be read ({str(exc)[:200]}).", "Send a header row, then rows."
        ) from exc
    if len(frame) > max_rows:
        raise InputProblem(f"The CSV has more than {max_rows:,} rows.", "Send the rows in smaller batches.")
    if frame.empty:
        raise InputProblem("The CSV has no rows to predict.", "Add rows below the header.")
    frame.columns = [str(c) for c in frame.columns]
    missing = [n for n in model.names if n not in frame.columns]
    if missing:
        raise InputProblem(
            f"The CSV lacks {len(missing)} column(s) the model needs.",
            f"Add them with these names (cells may be empty); the target '{model.target}' is not needed.",
            [{"row": None, "field": n, "message": f"'{n}' is missing."} for n in missing],
        )
    return frame.reset_index(drop=True)


class _TooLarge(Exception):
    pass


class BodyLimit:
    """ASGI middleware: a body over the limit is refused with 413 before it is read into memory,
    whether it announces its length or streams."""

    def __init__(self, app: Any, limit: int) -> None:
        self.app, self.limit = app, limit

    async def __call__(self, scope: dict, receive: Callable, send: Callable) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        length = dict(scope.get("headers", ())).get(b"content-length", b"")
        if length.isdigit() and int(length) > self.limit:
            await _send_too_large(send, self.limit)
            return
        received = 0
        started = False

        async def limited_receive() -> dict:
            nonlocal received
            message = await receive()
            received += len(message.get("body", b""))
            if received > self.limit:
                raise _TooLarge
            return message

        async def tracked_send(message: dict) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, limited_receive, tracked_send)
        except _TooLarge:
            if not started:
                await _send_too_large(send, self.limit)


async def _send_too_large(send: Callable, limit: int) -> None:
    body = json.dumps(
        {
            "error": f"The request body is larger than {limit:,} bytes.",
            "hint": "Send the rows in smaller batches.",
        }
    ).encode()
    await send(
        {"type": "http.response.start", "status": 413, "headers": [(b"content-type", b"application/json")]}
    )
    await send({"type": "http.response.body", "body": body})


class Timing:
    """ASGI middleware: every request's status and latency into `Stats` (cheap: no body copy)."""

    def __init__(self, app: Any, stats: Stats) -> None:
        self.app, self.stats = app, stats

    async def __call__(self, scope: dict, receive: Callable, send: Callable) -> None:
        if scope["type"] != "http" or scope.get("path") not in PROTECTED[:3]:
            await self.app(scope, receive, send)
            return
        start, status = time.perf_counter(), 500

        async def tracked_send(message: dict) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, tracked_send)
        finally:
            self.stats.add(status, (time.perf_counter() - start) * 1000)


# ---------- the application ----------


def make_app(model: ApiModel, settings: ApiSettings | None = None) -> FastAPI:
    """The FastAPI application serving `model`."""
    settings = settings or ApiSettings()
    types = _types(model, settings)
    stats = Stats()
    batcher = Batcher(model, settings.max_rows)
    app = FastAPI(
        title=f"{model.name} (version {model.version})",
        description=f"Predicts '{model.target}' ({model.task}). Inputs and their ranges: GET /metadata.",
        version=str(model.version),
    )
    app.state.stats = stats
    app.state.model = model

    def body_schema(adapter: TypeAdapter) -> dict[str, Any]:
        """The JSON body's schema, and the Arrow IPC stream that may come instead (binary)."""
        return {
            "required": True,
            "content": {
                "application/json": {"schema": _inline(adapter.json_schema())},
                ARROW_STREAM: {"schema": {"type": "string", "format": "binary"}},
            },
        }

    async def guarded_body(request: Request) -> bytes:
        """The body of a request that passed the key check (nothing is read before it)."""
        check_key(request)
        return await request.body()

    def check_key(request: Request) -> None:
        if settings.api_key is None:
            return
        given = request.headers.get("authorization", "")
        scheme, _, token = given.partition(" ")
        if scheme.lower() != "bearer" or not hmac.compare_digest(
            token.strip().encode(), settings.api_key.encode()
        ):
            raise _Unauthorized

    async def body_columns(request: Request, read_json: Callable[[bytes], Columns]) -> Columns:
        """The request's rows: from an Arrow IPC stream when its content type says it is one, else
        read by `read_json` from its JSON."""
        raw = await guarded_body(request)
        if request.headers.get("content-type", "").partition(";")[0].strip().lower() == ARROW_STREAM:
            return _arrow_columns(model, raw, types, settings.max_rows)
        try:
            return read_json(raw)
        except ValidationError as exc:
            raise _invalid(exc.errors(include_url=False), model) from None

    async def answer(columns: Columns, path: str, started: float) -> Response:
        result = await batcher.predict(columns)
        # /invocations answers as `mlflow models serve` does: predictions (probabilities: /predict).
        body = _json(_answer_body(model, result, unseen_flags(model, columns), path != "/invocations"))
        if settings.on_exchange is not None:
            settings.on_exchange(
                Exchange(time.time(), path, columns, result, (time.perf_counter() - started) * 1000)
            )
        return body

    @app.exception_handler(InputProblem)
    async def input_problem(_: Request, exc: InputProblem) -> JSONResponse:
        return _error(exc.status, exc.message, exc.hint, exc.problems)

    @app.exception_handler(_Unauthorized)
    async def unauthorized(_: Request, __: Exception) -> JSONResponse:
        response = _error(401, "This API needs its key.", "Send the header 'Authorization: Bearer <key>'.")
        response.headers["WWW-Authenticate"] = "Bearer"
        return response

    @app.get("/health", summary="The server is up")
    def health() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/ready", summary="The model is loaded and answers")
    def ready() -> dict[str, Any]:
        return {"ready": True, "model": model.name, "version": model.version}

    @app.get("/metadata", summary="Every input with its type, levels or range; classes, metrics, versions")
    def metadata(request: Request) -> dict[str, Any]:
        check_key(request)
        return {
            "model": model.name,
            "version": model.version,
            "target": model.target,
            "task": model.task,
            "classes": model.classes,
            "inputs": [_input_facts(f, model.levels_kept) for f in model.features],
            **model.facts,
        }

    @app.get("/stats", summary="Requests answered, errors and latency percentiles since start")
    def stats_view(request: Request) -> dict[str, Any]:
        check_key(request)
        return stats.summary()

    @app.post(
        "/predict",
        summary="JSON records (or an Arrow IPC stream) in, predictions with class probabilities out",
        openapi_extra={"requestBody": body_schema(types.predict)},
    )
    async def predict(request: Request) -> Response:
        started = time.perf_counter()
        columns = await body_columns(
            request, lambda raw: _columns(model.names, types.predict.validate_json(raw)["records"])
        )
        return await answer(columns, "/predict", started)

    @app.post(
        "/invocations",
        summary="MLflow's scoring formats (dataframe_records or dataframe_split), or an Arrow IPC stream",
        openapi_extra={"requestBody": body_schema(types.invocations)},
    )
    async def invocations(request: Request) -> Response:
        started = time.perf_counter()
        columns = await body_columns(
            request, lambda raw: _mlflow_columns(model, raw, types, settings.max_rows)
        )
        return await answer(columns, "/invocations", started)

    @app.post(
        "/predict/csv",
        summary="A CSV body in, the rows with their predictions out (formula cells escaped)",
        openapi_extra={
            "requestBody": {"required": True, "content": {"text/csv": {"schema": {"type": "string"}}}},
            "responses": {"200": {"content": {"text/csv": {"schema": {"type": "string"}}}}},
        },
    )
    async def predict_csv(request: Request) -> Response:
        started = time.perf_counter()
        frame = _read_csv(model, await guarded_body(request), settings.max_rows)
        result = await run_in_threadpool(_predicted, model, frame[model.names])
        if settings.on_exchange is not None:
            latency = (time.perf_counter() - started) * 1000
            inputs = frame[model.names].astype(object).where(frame[model.names].notna(), None)
            settings.on_exchange(
                Exchange(time.time(), "/predict/csv", inputs.to_dict("list"), result, latency)
            )
        headers = {"X-Model": _header_text(model.name), "X-Model-Version": _header_text(model.version)}
        if result.notes:
            headers["X-Notes"] = _header_text(" ".join(result.notes))
        return Response(_csv_answer(model, frame, result), media_type="text/csv", headers=headers)

    secured = _with_security(app, settings)
    if settings.cors_origins:
        from fastapi.middleware.cors import CORSMiddleware

        app.add_middleware(
            CORSMiddleware,
            allow_origins=list(settings.cors_origins),
            allow_methods=["GET", "POST"],
            allow_headers=["Authorization", "Content-Type"],
        )
    app.add_middleware(BodyLimit, limit=settings.max_body_bytes)
    app.add_middleware(Timing, stats=stats)
    return secured


def _predicted(model: ApiModel, frame: pd.DataFrame) -> Answer:
    """The model's answer; valid input the model still cannot take (a number so large that scaling
    overflows it) is the request's problem, said plainly, not a server error."""
    try:
        return model.predict(frame)
    except (ValueError, OverflowError, ArithmeticError) as exc:
        raise InputProblem(
            f"The model could not predict these rows ({str(exc).splitlines()[0][:200]}).",
            "Check for values far outside the ranges GET /metadata shows.",
        ) from None


class Batcher:
    """Requests that arrive together are predicted together: each request's rows join a batch, and
    the batch is predicted once the event loop has taken in every request that is ready, in one
    call, and the answers split again. A pipeline's fixed cost per call is most of a single row's
    time, so under load this multiplies throughput; a lone request waits for nothing. Everything
    runs on the event loop's thread: no thread hand-overs, no contention for the interpreter lock.
    A batch that fails is retried request by request, so one request's problem stays its own."""

    def __init__(self, model: ApiModel, max_rows: int) -> None:
        self.model, self.max_rows = model, max_rows
        self._waiting: list[tuple[Columns, asyncio.Future]] = []

    async def predict(self, columns: Columns) -> Answer:
        loop = asyncio.get_running_loop()
        future = loop.create_future()
        if not self._waiting:
            loop.call_soon(self._flush)  # after the handlers that are ready now have added theirs
        self._waiting.append((columns, future))
        return await future

    def _flush(self) -> None:
        waiting, self._waiting = self._waiting, []
        batch: list[tuple[Columns, asyncio.Future]] = []
        rows = 0
        for item in waiting:
            size = _count(item[0])
            if batch and rows + size > self.max_rows:
                self._answer(batch)
                batch, rows = [], 0
            batch.append(item)
            rows += size
        if batch:
            self._answer(batch)

    def _answer(self, batch: list[tuple[Columns, asyncio.Future]]) -> None:
        try:
            outcomes = self._outcomes([c for c, _ in batch])
        except Exception as exc:  # never a request left waiting, whatever went wrong
            outcomes = [exc] * len(batch)
        for (_, future), outcome in zip(batch, outcomes, strict=True):
            if not future.done():  # the client went away
                if isinstance(outcome, Exception):
                    future.set_exception(outcome)
                else:
                    future.set_result(outcome)

    def _outcomes(self, requests: list[Columns]) -> list[Answer | Exception]:
        if len(requests) > 1:
            joined = {
                n: list(itertools.chain.from_iterable(r[n] for r in requests)) for n in self.model.names
            }
            try:
                whole = _predicted(self.model, _frame(self.model, joined))
            except Exception:
                pass  # each on its own below, to find whose rows the model could not take
            else:
                bounds = np.cumsum([0, *map(_count, requests)])
                return [_rows_of(whole, a, b) for a, b in itertools.pairwise(bounds)]
        outcomes: list[Answer | Exception] = []
        for columns in requests:
            try:
                outcomes.append(_predicted(self.model, _frame(self.model, columns)))
            except Exception as exc:
                outcomes.append(exc)
        return outcomes


def _count(columns: Columns) -> int:
    return len(next(iter(columns.values()), ()))


def _rows_of(answer: Answer, start: int, stop: int) -> Answer:
    probabilities = None if answer.probabilities is None else answer.probabilities[start:stop]
    return Answer(answer.predictions[start:stop], probabilities, answer.classes)


class _Unauthorized(Exception):
    pass


def _header_text(text: str) -> str:
    return text.encode("ascii", "replace").decode()[:500].replace("\r", " ").replace("\n", " ")


def _input_facts(feature: dict[str, Any], levels_kept: int) -> dict[str, Any]:
    facts: dict[str, Any] = {
        "name": feature["name"],
        "type": feature.get("kind"),
        "required": True,
        "nullable": True,
    }
    if feature.get("kind") == "numeric":
        facts["observed_range"] = [feature.get("low"), feature.get("high")]
    levels = feature.get("levels") or []
    if levels:
        facts["levels"] = list(levels)
        facts["levels_complete"] = len(levels) < levels_kept
    facts["example"] = feature.get("default")
    return facts


def _inline(schema: dict[str, Any]) -> dict[str, Any]:
    """A JSON schema with its `$defs` references replaced by the definitions (OpenAPI tools then need
    no components section)."""
    defs = schema.pop("$defs", {})

    def resolve(node: Any) -> Any:
        if isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str) and ref.startswith("#/$defs/"):
                return resolve(dict(defs[ref.split("/")[-1]]))
            return {k: resolve(v) for k, v in node.items()}
        if isinstance(node, list):
            return [resolve(v) for v in node]
        return node

    return resolve(schema)


def _with_security(app: FastAPI, settings: ApiSettings) -> FastAPI:
    """The OpenAPI document names the bearer key on the guarded paths when a key is set."""
    if settings.api_key is None:
        return app
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            document = build()
            document.setdefault("components", {})["securitySchemes"] = {
                "bearer": {"type": "http", "scheme": "bearer"}
            }
            for path, operations in document.get("paths", {}).items():
                if path in PROTECTED:
                    for operation in operations.values():
                        operation["security"] = [{"bearer": []}]
            app.openapi_schema = document
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
    return app
