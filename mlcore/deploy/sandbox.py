"""Imported models are loaded and run in a worker process of their own, never in the server.

A crafted file that gets past every check of `mlcore.deploy.checks` may still crash, hang or exhaust
the process that runs it. So each imported model lives in a persistent worker (from the fork server
of `mlcore.compute.jobs`) with an address-space limit, a time limit to load and one per request; the server
holds a `SandboxedModel`, a stand-in with the attributes `mlcore.deploy.predict.predict_frame` uses. A
crash, a timeout or the memory limit there is a typed error here; the worker is killed then, and the
next request starts a fresh one.

Nothing the worker sends is unpickled: each answer is a JSON header followed by plain numeric or text
arrays in .npy format, checked against their headers before they are read. Requests (the model file,
rows the server prepared) travel the other way, where pickles are safe.
"""

from __future__ import annotations

import io
import json
import logging
import math
import re
import signal
import threading
import time
import weakref
import zipfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial
from multiprocessing.connection import Connection
from typing import Any

import numpy as np

from mlcore.compute.jobs import _CONTEXT
from mlcore.compute.machine import cap_address_space
from mlcore.data.archives import check_archive
from mlcore.deploy.checks import (
    BundleError,
    UntrustedModelError,
    check_model,
    check_skops_nodes,
    schema_from_data,
)
from mlcore.deploy.input_schema import FeatureSpec, ModelSchema
from mlcore.errors import MLCoreError
from mlcore.schema import Task
from mlcore.train.run_data import feature_kinds

# The workbench's own types in a pipeline (`mlcore.train.fit.transformers`), and where bundles exported
# before the stage packages (issue 12) name them: those files still import, read under the new name.
OUR_TYPES = (
    "DatetimeExpander",
    "LabelEncodedXGBClassifier",
    "OutlierClipper",
    "as_floats",
    "as_strings",
    "as_text",
    "to_dense",
)
LEGACY_MODULES = {"mlcore.prep": "mlcore.train.transformers", "mlcore.models": "mlcore.train.transformers"}

# The only types an imported `.skops` file may contain besides skops' own safe defaults (builtins,
# numpy arrays, scikit-learn estimators). Trees, tree predictors, neighbour trees and boosters hold
# indices native code follows without bounds checks: `mlcore.deploy.checks` checks them as well.
TRUSTED_TYPES: tuple[str, ...] = (
    "functools.partial",
    "imblearn.pipeline.Pipeline",
    "imblearn.over_sampling._random_over_sampler.RandomOverSampler",
    "imblearn.over_sampling._smote.base.SMOTE",
    "imblearn.under_sampling._prototype_selection._random_under_sampler.RandomUnderSampler",
    *(f"mlcore.train.transformers.{name}" for name in OUR_TYPES),
    "numpy.dtype",
    "sklearn.ensemble._hist_gradient_boosting.predictor.TreePredictor",
    "sklearn.feature_selection._mutual_info.mutual_info_classif",
    "sklearn.feature_selection._mutual_info.mutual_info_regression",
    "sklearn.feature_selection._univariate_selection.f_classif",
    "sklearn.feature_selection._univariate_selection.f_regression",
    "sklearn.impute._iterative.IterativeImputer",
    "sklearn.impute._iterative._ImputerTriplet",
    "sklearn.metrics._dist_metrics.EuclideanDistance64",
    "sklearn.neighbors._ball_tree.BallTree",
    "sklearn.neighbors._kd_tree.KDTree",
    "sklearn.neural_network._stochastic_optimizers.AdamOptimizer",
    "sklearn.tree._tree.Tree",
    "xgboost.core.Booster",
    "xgboost.sklearn.XGBClassifier",
    "xgboost.sklearn.XGBRegressor",
)
PREDICT_METHODS = ("predict", "predict_proba", "decision_function")
PLAIN_KINDS = "biufU"  # bool, integer, unsigned, float, text: what the server reads back
SHOWN_TEXT = 600  # characters of a worker's message shown at most
LOADING, PREDICTING = "loading the model", "predicting"
CRAFTED_HINT = "The model file is damaged or was crafted: export the model again from the workbench."
_UNREADABLE = "The imported model's worker process sent an answer that is not plain data, so it was stopped."
_LOG = logging.getLogger(__name__)
Answer = tuple[dict[str, Any], list[np.ndarray]]  # a worker's JSON header and its plain arrays


@dataclass(frozen=True)
class SandboxLimits:
    """What one imported model may use. The memory limit is address space added to the worker's size
    when it starts (the libraries it inherits are not counted), so it bounds what the model takes."""

    memory_bytes: int = 4 << 30
    load_seconds: float = 60.0
    predict_seconds: float = 120.0  # per request
    inflated_bytes: int = 256 << 20  # the .skops zip's members together, once unpacked


DEFAULT_LIMITS = SandboxLimits()


class ModelWorkerError(BundleError):
    """The worker running an imported model crashed, ran out of memory or out of time."""


class ModelCrashedError(ModelWorkerError):
    """The worker died (a signal, such as a segmentation fault) or answered with something not plain."""


class ModelMemoryError(ModelWorkerError):
    """The model needed more memory than its worker may have."""


class ModelTimeoutError(ModelWorkerError):
    """The model did not load or answer within its time limit."""


class _TimedOut(Exception):
    pass


class _Unreadable(Exception):
    """The worker sent something that is not the plain data of the protocol."""


# ---------- the server's side ----------


class SandboxedModel:
    """An imported model in its worker process, with what `predict_frame` uses: `classes_`, `predict`,
    `predict_proba` and `decision_function` (the last two raise AttributeError where the model has
    none), plus the `schema` the worker read off the pipeline. Safe to share between threads."""

    def __init__(self, data: bytes, limits: SandboxLimits = DEFAULT_LIMITS) -> None:
        _check_skops_archive(data, limits)
        self._data, self._limits = data, limits
        self._lock = threading.Lock()
        self._worker: _Worker | None = None
        with self._lock:
            header, arrays = self._start()
            try:
                self._describe(header, arrays)
            except BundleError:
                self._stop()
                raise

    def _describe(self, header: dict[str, Any], arrays: list[np.ndarray]) -> None:
        """What the worker read off the model, checked as the untrusted data it is."""
        methods = header.get("methods")
        if not (isinstance(methods, list) and "predict" in methods and len(arrays) <= 1):
            raise ModelCrashedError(_UNREADABLE, CRAFTED_HINT)
        self._methods = frozenset(m for m in methods if m in PREDICT_METHODS)
        self._classes = arrays[0] if arrays else None
        self.schema = schema_from_data(header.get("schema"), "description of the model in the file")

    @property
    def classes_(self) -> np.ndarray:
        if self._classes is None:
            raise AttributeError("classes_")
        return self._classes

    def predict(self, X: Any) -> np.ndarray:
        return self._call("predict", X)

    @property
    def predict_proba(self) -> Callable[[Any], np.ndarray]:
        return self._method("predict_proba")

    @property
    def decision_function(self) -> Callable[[Any], np.ndarray]:
        return self._method("decision_function")

    @property
    def worker_pid(self) -> int | None:
        """The worker's process id (None while none runs), for tests and the server log."""
        return self._worker.pid if self._worker is not None and self._worker.alive else None

    def _method(self, name: str) -> Callable[[Any], np.ndarray]:
        if name not in self._methods:
            raise AttributeError(name)
        return partial(self._call, name)

    def _call(self, method: str, X: Any) -> np.ndarray:
        with self._lock:
            if self._worker is None or not self._worker.alive:
                self._start()  # a fresh worker after a failure, or after the last one died idle
            try:
                _, arrays = self._worker.ask(method, X)
                if len(arrays) != 1 or arrays[0].shape[:1] != (len(X),):
                    raise ModelCrashedError(_UNREADABLE, CRAFTED_HINT)
            except ModelWorkerError:
                self._stop()
                raise
        return arrays[0]

    def _start(self) -> Answer:
        self._stop()
        worker = _Worker(self._limits)
        try:
            answer = worker.load(self._data)
        except BaseException:
            worker.stop()
            raise
        self._worker = worker
        return answer

    def close(self) -> None:
        """Stop the worker now (a later request would start a fresh one)."""
        with self._lock:
            self._stop()

    def _stop(self) -> None:
        if self._worker is not None:
            self._worker.stop()
            self._worker = None


def _check_skops_archive(data: bytes, limits: SandboxLimits) -> None:
    """A zip with schema.json whose members together inflate within the limit (read from the central
    directory: nothing is unpacked here)."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            check_archive(archive, limits.inflated_bytes, "model file")
            if "schema.json" in archive.namelist():
                return
    except zipfile.BadZipFile:
        pass
    raise BundleError(
        "The model file is not a skops file.", "Upload the bundle (.zip) or its model.skops file."
    )


class _Worker:
    """One worker process and its end of the pipe; killed when stopped or garbage-collected."""

    def __init__(self, limits: SandboxLimits) -> None:
        self._conn, child = _CONTEXT.Pipe()
        self._process = _CONTEXT.Process(
            target=_serve, args=(child, limits), name="mlcore-model", daemon=True
        )
        self._process.start()
        child.close()
        self._limits = limits
        self._finalizer = weakref.finalize(self, _end, self._process, self._conn)

    def stop(self) -> None:
        self._finalizer()

    @property
    def alive(self) -> bool:
        return self._process.is_alive()

    @property
    def pid(self) -> int | None:
        return self._process.pid

    def load(self, data: bytes) -> Answer:
        """Send the model file; the answer describes the model."""
        return self._exchange(partial(self._conn.send_bytes, data), self._limits.load_seconds, LOADING)

    def ask(self, method: str, X: Any) -> Answer:
        """Call one of the model's methods on rows this process prepared (a pickle is safe this way)."""
        return self._exchange(partial(self._conn.send, (method, X)), self._limits.predict_seconds, PREDICTING)

    def _exchange(self, send: Callable[[], None], seconds: float, during: str) -> Answer:
        try:
            send()
            header, arrays = _receive(self._conn, time.monotonic() + seconds, self._limits.memory_bytes)
        except _TimedOut:
            self.stop()
            raise _timeout_error(seconds, during) from None
        except (EOFError, OSError):
            raise ModelCrashedError(
                f"The imported model's worker process crashed ({self._exit_reason()}) while {during}; the "
                "app itself is unaffected.",
                CRAFTED_HINT,
            ) from None
        except _Unreadable:
            raise ModelCrashedError(_UNREADABLE, CRAFTED_HINT) from None
        if header.get("ok") is not True:
            raise _worker_error(header, during, self._limits)
        return header, arrays

    def _exit_reason(self) -> str:
        self._process.join(timeout=2)
        code = self._process.exitcode
        if code is not None and code < 0:
            try:
                return signal.Signals(-code).name
            except ValueError:
                return f"signal {-code}"
        return "it stopped" if code is None else f"exit code {code}"


def _end(process: Any, conn: Connection) -> None:
    conn.close()
    if process.is_alive():
        process.kill()
    process.join(timeout=5)


def _receive(conn: Connection, deadline: float, max_bytes: int) -> Answer:
    """A JSON header and the plain arrays it announces; never a pickle."""
    try:
        header = json.loads(_next_message(conn, deadline, max_bytes))
        count = header["arrays"] if isinstance(header, dict) else None
        if not isinstance(count, int) or not 0 <= count <= 1:
            raise _Unreadable
        return header, [_read_array(_next_message(conn, deadline, max_bytes)) for _ in range(count)]
    except (ValueError, RecursionError, KeyError) as exc:  # not JSON, not .npy
        raise _Unreadable from exc


def _read_array(message: bytes) -> np.ndarray:
    """An .npy message as an array: refused unless its dtype is plain and its data exactly as long as
    its header says (so a header cannot make this process allocate more than it received)."""
    stream = io.BytesIO(message)
    read_header = {
        (1, 0): np.lib.format.read_array_header_1_0,
        (2, 0): np.lib.format.read_array_header_2_0,
    }.get(np.lib.format.read_magic(stream))
    if read_header is None:
        raise _Unreadable
    shape, fortran_order, dtype = read_header(stream)
    if dtype.kind not in PLAIN_KINDS or math.prod(shape) * dtype.itemsize != len(message) - stream.tell():
        raise _Unreadable
    flat = np.frombuffer(message, dtype, offset=stream.tell())
    return flat.reshape(shape, order="F" if fortran_order else "C").copy()


def _next_message(conn: Connection, deadline: float, max_bytes: int) -> bytes:
    if not conn.poll(max(0.0, deadline - time.monotonic())):
        raise _TimedOut
    return conn.recv_bytes(max_bytes)


def _timeout_error(seconds: float, during: str) -> ModelTimeoutError:
    if during == LOADING:
        return ModelTimeoutError(
            f"The model file took longer than {seconds:g} s to load, so loading was stopped.",
            "The file is damaged, crafted or too large for this server: export the model again.",
        )
    return ModelTimeoutError(
        f"The imported model took longer than {seconds:g} s to predict these rows, so it was stopped.",
        "Predict fewer rows at a time; a model that never answers was probably crafted.",
    )


def _worker_error(header: dict[str, Any], during: str, limits: SandboxLimits) -> Exception:
    """The error the worker reported, rebuilt here from its kind (its own text only for our messages)."""
    kind = header.get("kind")
    message, hint = (str(header.get(key, ""))[:SHOWN_TEXT] for key in ("message", "hint"))
    if kind == "memory":
        return ModelMemoryError(
            f"The imported model needed more than {limits.memory_bytes / 2**20:,.0f} MB of memory while "
            f"{during}, so it was stopped.",
            "Predict fewer rows at a time, or export a smaller model.",
        )
    if kind == "untrusted":
        return UntrustedModelError(message, hint)
    if kind == "refused":
        return BundleError(message, hint)
    if kind == "attribute" and during == PREDICTING:
        return AttributeError(message)
    if during == LOADING:
        return BundleError(
            "The model file could not be read.",
            "It may be damaged or not made by the workbench; export the model again.",
        )
    return BundleError(
        "The imported model could not predict these rows.",
        "Check that the file has the columns the model was trained on, with the same kinds of values.",
    )


# ---------- the worker's side ----------


def _serve(conn: Connection, limits: SandboxLimits) -> None:
    """The worker: load the model sent first and describe it, then answer requests until the pipe
    closes. Every failure is reported as plain data."""
    from threadpoolctl import threadpool_limits

    threadpool_limits(1)  # one thread, as in the app's other workers: bounded memory, same sums
    cap_address_space(limits.memory_bytes)
    try:
        model = load_checked(conn.recv_bytes())
        classes = getattr(model, "classes_", None)
        header = {
            "ok": True,
            "methods": [m for m in PREDICT_METHODS if hasattr(model, m)],
            "schema": schema_from_pipeline(model).to_dict(),
        }
        _send(conn, header, [] if classes is None else [_plain_array(classes)])
    except BaseException as problem:  # the server must learn of any failure, whatever its type
        _send(conn, _failure(problem, LOADING))
        return
    while True:
        try:
            method, X = conn.recv()
        except EOFError:
            return
        try:
            _send(conn, {"ok": True}, [_plain_array(getattr(model, method)(X))])
        except BaseException as problem:
            _send(conn, _failure(problem, PREDICTING))


def renamed_legacy_types(node: Any) -> Any:
    """The skops schema with our types named where they live now (`LEGACY_MODULES`), in place."""
    stack = [node]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            module = item.get("__module__")
            if module in LEGACY_MODULES and item.get("__class__") in OUR_TYPES:
                item["__module__"] = LEGACY_MODULES[module]
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return node


def load_checked(data: bytes) -> Any:
    """The pipeline in a .skops file: types on the allow-list, no node kind that calls code with the
    file's arguments, and every structure checked before the first prediction."""
    from skops.io._audit import get_tree
    from skops.io._utils import read_schema

    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        schema, context = read_schema(archive)
        tree = get_tree(renamed_legacy_types(schema), context, trusted=list(TRUSTED_TYPES))
        untrusted = sorted(tree.get_unsafe_set())
        if untrusted:
            shown = ", ".join(re.sub(r"[^\w.]", "?", name)[:120] for name in untrusted[:5])
            raise UntrustedModelError(
                f"The model file contains types the workbench does not trust, so it was not loaded: {shown}.",
                "Only models exported by the workbench can be imported.",
            )
        check_skops_nodes(tree)
        model = tree.construct()
    if not (hasattr(model, "steps") and hasattr(model, "predict")):
        raise UntrustedModelError(
            "The file does not hold a prediction pipeline.", "Upload a workbench bundle."
        )
    check_model(model)
    return model


def schema_from_pipeline(pipeline: Any) -> ModelSchema:
    """A schema from the pipeline alone (a bare .skops file): column names and types, no defaults."""
    kinds = feature_kinds(pipeline)
    features = tuple(FeatureSpec(name, kind.value, "") for name, kind in kinds.items())
    classes = getattr(pipeline, "classes_", None)
    task = Task.CLASSIFICATION if classes is not None else Task.REGRESSION
    return ModelSchema(features, "target", task, None if classes is None else tuple(classes))


def _plain_array(values: Any) -> np.ndarray:
    """`values` as a numeric, boolean or text array: the only kinds the server reads back."""
    array = np.asarray(values)
    if array.dtype.kind == "O":
        array = np.asarray(array.tolist())
    return array if array.dtype.kind in PLAIN_KINDS else array.astype(str)


def _send(conn: Connection, header: dict[str, Any], arrays: Sequence[np.ndarray] = ()) -> None:
    conn.send_bytes(json.dumps({**header, "arrays": len(arrays)}).encode())
    for array in arrays:
        buffer = io.BytesIO()
        np.save(buffer, array, allow_pickle=False)
        conn.send_bytes(buffer.getbuffer())


def _failure(problem: BaseException, during: str) -> dict[str, Any]:
    """A failure as plain data: our own messages travel; anything else is only logged (never to stderr,
    which is the command line's) and named by its kind."""
    if isinstance(problem, MemoryError):
        return {"ok": False, "kind": "memory"}
    if isinstance(problem, MLCoreError):
        kind = "untrusted" if isinstance(problem, UntrustedModelError) else "refused"
        return {"ok": False, "kind": kind, "message": problem.message, "hint": problem.hint}
    if isinstance(problem, AttributeError) and during == PREDICTING:
        return {"ok": False, "kind": "attribute", "message": "the model has no such method"}
    _LOG.info("an imported model failed while %s", during, exc_info=problem)  # the server log, if kept
    return {"ok": False, "kind": "failed"}
