"""Issue 11, items 1, 4, 5 and 7: a crafted model file is refused with a plain message, or its damage stays
inside the model's worker process; it never hangs, crashes or reads files on the server.

The crafted files are real skops files with members rewritten: node arrays (.npy), the booster (.bin)
or schema.json."""

from __future__ import annotations

import copy
import gc
import io
import json
import multiprocessing
import os
import signal
import threading
import time
import zipfile
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from functools import partial

import numpy as np
import pytest
import xgboost
from model_helpers import make_dataset, make_frame, train
from sklearn.ensemble import (
    GradientBoostingClassifier,
    HistGradientBoostingClassifier,
    RandomForestClassifier,
)
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import FunctionTransformer
from sklearn.tree import DecisionTreeClassifier

from mlcore.deploy.bundle import BundleError, UntrustedModelError, build_bundle, load_model_file, skops_bytes
from mlcore.deploy.checks import check_booster_json, check_model, reachable, schema_from_data
from mlcore.deploy.input_schema import schema_from_run
from mlcore.deploy.predict import predict_frame
from mlcore.deploy.sandbox import (
    ModelCrashedError,
    ModelMemoryError,
    ModelTimeoutError,
    SandboxedModel,
    SandboxLimits,
    _receive,
    _Unreadable,
)
from mlcore.errors import MLCoreError
from mlcore.train.prep import as_floats
from mlcore.train.prep_spec import CategoricalPrep, NumericPrep, PrepSpec

RAW_TEXT = (
    "Traceback",
    "Stack trace",
    "[bt]",
    "c_api",
    "Error:",
    "Exception",
    "codec",
    "byte 0x",
    "position",
)


@pytest.fixture(scope="module")
def label_data():
    return make_dataset(make_frame(80), "label")


@pytest.fixture(scope="module")
def tree_run(label_data):
    return train(label_data, "decision_tree")


@pytest.fixture(scope="module")
def hgb_run(label_data):
    return train(label_data, "hist_gradient_boosting")


@pytest.fixture(scope="module")
def xgb_run(label_data):
    return train(label_data, "xgboost")


def _rows(dataset):
    return dataset.frame[dataset.features]


def rewrite(data: bytes, change: Callable[[str, bytes], bytes]) -> bytes:
    """The same zip with every member passed through `change(name, content)`."""
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as target:
        for name in source.namelist():
            target.writestr(name, change(name, source.read(name)))
    return out.getvalue()


def tamper_nodes(data: bytes, field: str, edit: Callable[[np.ndarray], None]) -> bytes:
    """`edit` the first node array (a structured .npy with `field`) in the file."""
    done = []

    def change(name: str, content: bytes) -> bytes:
        if done or not name.endswith(".npy"):
            return content
        array = np.load(io.BytesIO(content), allow_pickle=False)
        if not (array.dtype.names and field in array.dtype.names):
            return content
        array = array.copy()
        edit(array)
        buffer = io.BytesIO()
        np.save(buffer, array, allow_pickle=False)
        done.append(name)
        return buffer.getvalue()

    tampered = rewrite(data, change)
    assert done, f"no node array with {field}"
    return tampered


def _first_inner(nodes: np.ndarray) -> int:
    inner = nodes["is_leaf"] == 0 if "is_leaf" in nodes.dtype.names else nodes["left_child"] != -1
    return int(np.flatnonzero(inner)[0])


def set_node(field: str, value: int, node: Callable[[np.ndarray], int] = _first_inner):
    def edit(nodes: np.ndarray) -> None:
        nodes[field][node(nodes)] = value

    return edit


ROOT_TO_ITSELF = set_node("left_child", 0, lambda nodes: 0)


def _schema(data: bytes) -> dict:
    return json.loads(zipfile.ZipFile(io.BytesIO(data)).read("schema.json"))


def _with_schema(data: bytes, schema: dict) -> bytes:
    text = json.dumps(schema).encode()
    return rewrite(data, lambda name, content: text if name == "schema.json" else content)


def _nodes_of(schema: dict, module: str, name: str) -> list[dict]:
    """Every node of `module.name` in a schema.json tree."""
    found, stack = [], [schema]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            if item.get("__module__") == module and item.get("__class__") == name:
                found.append(item)
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return found


def _refused(data: bytes, match: str = "", filename: str = "model.skops") -> MLCoreError:
    """Loading must end in a plain mlcore error (nothing is predicted before every check has passed),
    with no raw exception text in it."""
    with pytest.raises(MLCoreError, match=match) as caught:
        load_model_file(data, filename)
    text = f"{caught.value.message} {caught.value.hint}"
    assert not any(raw in text for raw in RAW_TEXT), text
    return caught.value


def _with_final(run, dataset, make: Callable[[np.ndarray, np.ndarray], object]) -> Pipeline:
    """The run's fitted preprocessing, with `make(Z, y)` (fitted on its output) as the final step."""
    pipeline = copy.deepcopy(run.pipeline)
    Z = Pipeline(pipeline.steps[:-1]).transform(_rows(dataset))
    assert isinstance(Z, np.ndarray)
    pipeline.steps[-1] = ("model", make(Z, dataset.frame[dataset.target].to_numpy()))
    return pipeline


def _imported_predicts_like(pipeline, dataset, data: bytes | None = None) -> None:
    """The untampered file, imported, predicts exactly what scikit-learn predicts in memory."""
    predictor = load_model_file(data or skops_bytes(pipeline), "model.skops")
    got = predict_frame(predictor, _rows(dataset))
    assert got.labels.tolist() == pipeline.predict(_rows(dataset)).tolist()
    np.testing.assert_array_equal(got.probabilities().to_numpy(), pipeline.predict_proba(_rows(dataset)))


# ---------- item 1: trees that hang or read outside themselves ----------


@pytest.mark.timeout(60)
def test_a_tree_whose_root_points_to_itself_is_refused_without_hanging(tree_run):
    """Today predict loops forever in native code: the whole server stops answering."""
    data = tamper_nodes(skops_bytes(tree_run.pipeline), "left_child", ROOT_TO_ITSELF)
    _refused(data, "point outside it or loop")


def _share_a_child(nodes: np.ndarray) -> None:
    nodes["right_child"][0] = nodes["left_child"][0]


def _back_to_the_parent(nodes: np.ndarray) -> None:
    """An inner node below the root gets its own parent as a child: a cycle that avoids the root."""
    left = nodes["left_child"]  # a view: writing to it changes the nodes
    parent = next(p for p in range(1, len(nodes)) if left[p] != -1 and left[left[p]] != -1)
    left[left[parent]] = parent


@pytest.mark.timeout(60)
@pytest.mark.parametrize("edit", [_share_a_child, _back_to_the_parent], ids=["shared child", "cycle"])
def test_a_tree_whose_node_is_entered_twice_is_refused(tree_run, edit):
    """No node but the root may be entered from nowhere, none twice: the cheap in-degree check that
    rules out every cycle (one below the root too, where predict would loop just the same)."""
    _refused(tamper_nodes(skops_bytes(tree_run.pipeline), "left_child", edit), "point outside it or loop")


@pytest.mark.parametrize(
    ("run", "field"), [("tree_run", "right_child"), ("hgb_run", "right")], ids=["tree", "hist-boosting"]
)
def test_a_child_index_of_a_million_is_refused(run, field, request):
    pipeline = request.getfixturevalue(run).pipeline
    _refused(tamper_nodes(skops_bytes(pipeline), field, set_node(field, 10**6)), "point outside it")


@pytest.mark.parametrize(
    ("run", "field"), [("tree_run", "feature"), ("hgb_run", "feature_idx")], ids=["tree", "hist-boosting"]
)
def test_a_tree_reading_feature_a_million_is_refused(run, field, request):
    """Today the hist-boosting predictor reads a million columns past the row: SIGSEGV."""
    pipeline = request.getfixturevalue(run).pipeline
    _refused(tamper_nodes(skops_bytes(pipeline), field, set_node(field, 10**6)), "feature")


@pytest.mark.timeout(120)
def test_a_gradient_boosting_tree_tampered_inside_estimators_is_refused(tree_run, label_data):
    """GradientBoosting keeps its trees in a numpy object array, which the old check never entered."""
    pipeline = _with_final(
        tree_run,
        label_data,
        lambda Z, y: GradientBoostingClassifier(n_estimators=5, max_depth=2, random_state=0).fit(Z, y),
    )
    data = skops_bytes(pipeline)
    _imported_predicts_like(pipeline, label_data, data)
    _refused(tamper_nodes(data, "left_child", ROOT_TO_ITSELF), "point outside it")
    _refused(tamper_nodes(data, "feature", set_node("feature", 10**6)), "feature")


def _nested(depth: int, model: object) -> object:
    for level in range(depth):
        model = Pipeline([(f"level{level}", model)])
    return model


@pytest.mark.timeout(120)
def test_a_tree_nested_six_pipelines_deep_is_checked(tree_run, label_data):
    """The old walk stopped twelve attributes down (four pipelines): a tree below was never looked at."""
    pipeline = _with_final(
        tree_run, label_data, lambda Z, y: _nested(6, DecisionTreeClassifier(random_state=0).fit(Z, y))
    )
    data = skops_bytes(pipeline)
    _imported_predicts_like(pipeline, label_data, data)
    _refused(tamper_nodes(data, "feature", set_node("feature", 10**6)), "feature")
    _refused(tamper_nodes(data, "left_child", ROOT_TO_ITSELF), "point outside it")


def test_a_tree_outside_any_model_is_refused(tree_run):
    """Every tree must belong to an estimator whose input width bounds its feature indices; one kept in
    a FunctionTransformer's partial belongs to none (and the walk must find it there)."""
    hidden = DecisionTreeClassifier(random_state=0).fit(np.eye(4), [0, 1, 0, 1]).tree_
    pipeline = copy.deepcopy(tree_run.pipeline)
    pipeline.steps.insert(1, ("odd", FunctionTransformer(partial(as_floats, tree=hidden))))
    _refused(skops_bytes(pipeline), "outside any model")


def _with_bitset_rows(data: bytes) -> bytes:
    """Every predictor given one (empty) row of category bitsets, as a model with categorical splits has."""

    def change(name: str, content: bytes) -> bytes:
        if not name.endswith(".npy"):
            return content
        array = np.load(io.BytesIO(content), allow_pickle=False)
        if array.dtype != np.uint32 or array.shape != (0, 8):
            return content
        buffer = io.BytesIO()
        np.save(buffer, np.zeros((1, 8), np.uint32), allow_pickle=False)
        return buffer.getvalue()

    return rewrite(data, change)


def _categorical(bitset: int):
    def edit(nodes: np.ndarray) -> None:
        node = _first_inner(nodes)
        nodes["is_categorical"][node], nodes["bitset_idx"][node] = 1, bitset

    return edit


def test_hist_boosting_bitset_index_out_of_range_is_refused(hgb_run, label_data):
    """A categorical node's `bitset_idx` picks a row of its predictor's bitsets, read unchecked."""
    data = skops_bytes(hgb_run.pipeline)
    _imported_predicts_like(hgb_run.pipeline, label_data, _with_bitset_rows(data))
    _refused(tamper_nodes(data, "bitset_idx", _categorical(0)), "bitset")
    _refused(tamper_nodes(_with_bitset_rows(data), "bitset_idx", _categorical(10**6)), "bitset")


def test_hist_boosting_categorical_split_on_a_numeric_feature_is_refused(hgb_run):
    """A categorical node reads the known-category bitset of its feature, which only categorical
    features of the bin mapper have."""
    data = tamper_nodes(_with_bitset_rows(skops_bytes(hgb_run.pipeline)), "bitset_idx", _categorical(0))
    _refused(data, "categorical split on a feature that is not categorical")


# ---------- item 1: XGBoost boosters ----------


def _booster_member(data: bytes) -> str:
    (node,) = _nodes_of(_schema(data), "xgboost.core", "Booster")
    return node["content"]["content"]["handle"]["file"]


def with_booster(data: bytes, edit: Callable[[dict], None]) -> bytes:
    """Edit the booster's JSON, load it in XGBoost and store it back the way it serialises itself."""
    member = _booster_member(data)
    booster = xgboost.Booster()
    booster.__setstate__({"handle": bytearray(zipfile.ZipFile(io.BytesIO(data)).read(member))})
    doc = json.loads(booster.save_raw("json"))
    edit(doc["learner"]["gradient_booster"]["model"]["trees"][0])
    crafted = xgboost.Booster()
    crafted.load_model(bytearray(json.dumps(doc).encode()))  # XGBoost itself accepts it
    handle = bytes(crafted.__getstate__()["handle"])
    return rewrite(data, lambda name, content: handle if name == member else content)


def flip_booster_bytes(data: bytes) -> bytes:
    """The middle third of the booster's serialised bytes inverted."""
    member = _booster_member(data)

    def flip(name: str, content: bytes) -> bytes:
        if name != member:
            return content
        third = len(content) // 3
        return content[:third] + bytes(b ^ 0xFF for b in content[third : 2 * third]) + content[2 * third :]

    return rewrite(data, flip)


@pytest.mark.timeout(120)
def test_a_tampered_xgboost_booster_is_a_plain_message(xgb_run):
    """Garbage in the booster's bytes: whatever XGBoost does with it, the user reads a plain message
    (today the hint quotes the decoding error)."""
    _refused(flip_booster_bytes(skops_bytes(xgb_run.pipeline)), "could not be read|crashed|booster")


@pytest.mark.timeout(120)
@pytest.mark.parametrize(
    "edit",
    [
        lambda tree: tree["split_indices"].__setitem__(0, 10**6),
        lambda tree: tree["left_children"].__setitem__(0, 0),
        lambda tree: tree["right_children"].__setitem__(0, 10**6),
    ],
    ids=["split-on-feature-a-million", "root-points-to-itself", "child-a-million"],
)
def test_a_json_valid_booster_with_a_broken_tree_is_refused(xgb_run, label_data, edit):
    """XGBoost loads these without a word and then reads out of bounds (or loops) when predicting."""
    data = skops_bytes(xgb_run.pipeline)
    _imported_predicts_like(xgb_run.pipeline, label_data, with_booster(data, lambda tree: None))
    _refused(with_booster(data, edit), "booster")


# ---------- item 4: allowed types that open server files ----------


def _json_node(value: object) -> dict:
    return {
        "__class__": "str",
        "__module__": "builtins",
        "__loader__": "JsonNode",
        "content": json.dumps(value),
    }


def _booster_reading(data: bytes, path: str) -> bytes:
    """The booster replaced by a constructor call `Booster(None, None, path)`, which opens `path`."""
    schema = _schema(data)
    (node,) = _nodes_of(schema, "xgboost.core", "Booster")
    node["__loader__"] = "ConstructorFromReduceNode"
    node["content"] = {
        "__class__": "tuple",
        "__module__": "builtins",
        "__loader__": "TupleNode",
        "content": [_json_node(None), _json_node(None), _json_node(path)],
    }
    return _with_schema(data, schema)


def _transformer_reading(tree_run, path: str) -> bytes:
    """A FunctionTransformer that calls `Booster(X, model_file=path)` on every prediction."""
    pipeline = copy.deepcopy(tree_run.pipeline)
    opener = FunctionTransformer(xgboost.Booster, kw_args={"model_file": path}).fit(np.zeros((2, 2)))
    pipeline.steps.insert(1, ("odd", opener))
    return skops_bytes(pipeline)


@pytest.mark.timeout(120)
@pytest.mark.parametrize("craft", ["constructor", "transformer"])
def test_a_booster_reading_a_server_file_is_refused_and_tells_nothing_about_it(
    xgb_run, tree_run, label_data, tmp_path, craft
):
    """The message must not depend on the file: not its content, not whether it exists."""
    secret = tmp_path / "secret.txt"
    secret.write_text("TOPSECRET-4242 the server's password\n")
    missing = tmp_path / "nothing-here.txt"
    answers = []
    for path in (secret, missing):
        if craft == "constructor":
            data = _booster_reading(skops_bytes(xgb_run.pipeline), str(path))
        else:
            data = _transformer_reading(tree_run, str(path))
        try:
            predict_frame(load_model_file(data, "model.skops"), _rows(label_data))
        except MLCoreError as problem:
            answers.append((type(problem), problem.message, problem.hint))
        else:
            answers.append(None)
    assert answers[0] is not None and answers[0] == answers[1], answers
    _, message, hint = answers[0]
    for leak in ("TOPSECRET", "T vs", str(tmp_path), "secret", "No such file", "nothing-here"):
        assert leak not in f"{message} {hint}"
    assert issubclass(answers[0][0], UntrustedModelError)


# ---------- item 5: decompression bombs ----------


@pytest.mark.timeout(120)
def test_a_skops_file_whose_schema_inflates_to_a_gibibyte_is_refused_before_loading(tree_run):
    """A few MB on disk, 1 GiB of schema.json once unpacked (valid JSON: trailing spaces)."""
    real = zipfile.ZipFile(io.BytesIO(skops_bytes(tree_run.pipeline)))
    bomb = io.BytesIO()
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as out:
        for name in real.namelist():
            if name != "schema.json":
                out.writestr(name, real.read(name))
        with out.open("schema.json", "w", force_zip64=True) as schema:
            schema.write(real.read("schema.json"))
            chunk = b" " * (16 << 20)
            for _ in range(64):
                schema.write(chunk)
    assert len(bomb.getvalue()) < 8 << 20
    problem = _refused(bomb.getvalue(), "inflate")
    assert "MB" in problem.message
    bundle = io.BytesIO()
    with zipfile.ZipFile(bundle, "w", zipfile.ZIP_DEFLATED) as out:
        out.writestr("model.skops", bomb.getvalue())
    _refused(bundle.getvalue(), "inflate", "bundle.zip")


# ---------- item 7: the model card ----------


def _bundle_with_card(run, dataset, card: bytes) -> bytes:
    bundle = build_bundle(run, dataset)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for name, content in bundle.files.items():
            archive.writestr(name, card if name == "model_card.json" else content)
    return out.getvalue()


def test_a_deeply_nested_model_card_is_a_plain_message(tree_run, label_data):
    """Today json.loads raises RecursionError: a traceback in the CLI."""
    card = b"[" * 100_000 + b"]" * 100_000
    _refused(_bundle_with_card(tree_run, label_data, card), "model card", "bundle.zip")


def _card(tree_run, label_data) -> dict:
    return json.loads(build_bundle(tree_run, label_data).files["model_card.json"])


CARD_DAMAGE = {
    "not an object": lambda card: [card],
    "features a string": lambda card: {**card, "features": "a,b"},
    "feature without a name": lambda card: {**card, "features": [{"kind": "numeric", "dtype": "float64"}]},
    "feature name a number": lambda card: {**card, "features": [{**card["features"][0], "name": 7}]},
    "unknown kind": lambda card: {**card, "features": [{**card["features"][0], "kind": "identifier"}]},
    "unknown field": lambda card: {**card, "features": [{**card["features"][0], "evil": 1}]},
    "levels not a list": lambda card: {**card, "features": [{**card["features"][0], "levels": 5}]},
    "bad date default": lambda card: {
        **card,
        "features": [{"name": "a", "kind": "datetime", "dtype": "object", "default": "soon"}],
    },
    "task unknown": lambda card: {**card, "task": "clustering"},
    "target missing": lambda card: {k: v for k, v in card.items() if k != "target"},
    "classes a dict": lambda card: {**card, "classes": {"a": 1}},
    "title a list": lambda card: {**card, "title": ["x"]},
    "features of another model": lambda card: {**card, "features": card["features"][:1]},
    "classes of another model": lambda card: {**card, "classes": ["up", "down"]},
}


@pytest.mark.parametrize("damage", list(CARD_DAMAGE))
def test_a_model_card_with_wrong_types_is_a_plain_message(tree_run, label_data, damage):
    """Today ModelSchema.from_dict meets these with a KeyError or TypeError traceback (or, worse,
    a Predict form whose fields are not the model's)."""
    card = CARD_DAMAGE[damage](_card(tree_run, label_data))
    _refused(_bundle_with_card(tree_run, label_data, json.dumps(card).encode()), "card", "bundle.zip")


def test_bundle_error_is_the_base_of_every_refusal():
    assert issubclass(UntrustedModelError, BundleError) and issubclass(BundleError, MLCoreError)


# ---------- item 1: the worker process that contains what the checks miss ----------


def _wait_until(condition: Callable[[], bool], seconds: float = 10.0) -> bool:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def _gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return False


def _same_predictions(model, pipeline, dataset) -> None:
    """The imported model (its stand-in here) answers exactly what the pipeline answers in memory."""
    rows = _rows(dataset)
    np.testing.assert_array_equal(model.predict(rows), pipeline.predict(rows))
    np.testing.assert_array_equal(model.predict_proba(rows), pipeline.predict_proba(rows))


@pytest.mark.timeout(120)
def test_a_worker_that_segfaults_is_a_plain_error_and_the_server_survives(tree_run, label_data):
    """The worker dies of SIGSEGV while it holds a request: this process gets a typed error, and the
    next request gets a fresh worker that predicts what the run predicted."""
    model = load_model_file(skops_bytes(tree_run.pipeline), "model.skops").pipeline
    assert isinstance(model, SandboxedModel)
    pid = model.worker_pid
    os.kill(pid, signal.SIGSTOP)  # stopped, so the request is sent and waits when the segfault comes

    def segfault() -> None:
        os.kill(pid, signal.SIGSEGV)  # held while the worker is stopped, delivered when it continues
        os.kill(pid, signal.SIGCONT)

    threading.Timer(1.0, segfault).start()
    with pytest.raises(ModelCrashedError, match=r"crashed \(SIGSEGV\) while predicting") as caught:
        model.predict(_rows(label_data))
    assert "export the model again" in caught.value.hint
    assert _gone(pid) and model.worker_pid is None
    _same_predictions(model, tree_run.pipeline, label_data)
    assert model.worker_pid not in (None, pid)


def _huge_array(data: bytes) -> bytes:
    """The first float array's header claims 2**27 values (1 GiB); its data stays a few bytes."""
    done = []

    def change(name: str, content: bytes) -> bytes:
        if done or not name.endswith(".npy"):
            return content
        if np.load(io.BytesIO(content), allow_pickle=False).dtype != np.float64:
            return content
        header = io.BytesIO()
        np.lib.format.write_array_header_1_0(
            header, {"descr": "<f8", "fortran_order": False, "shape": (2**27,)}
        )
        done.append(name)
        return header.getvalue() + bytes(64)

    crafted = rewrite(data, change)
    assert done
    return crafted


@pytest.mark.timeout(120)
def test_a_worker_over_its_memory_limit_is_a_plain_error(tree_run):
    """With the limit the 1 GiB allocation fails in the worker (a typed memory error); without it the
    same file only fails later, as a damaged file: the limit is what stopped it."""
    data = _huge_array(skops_bytes(tree_run.pipeline))
    with pytest.raises(ModelMemoryError, match="more than 256 MB of memory while loading") as caught:
        load_model_file(data, "model.skops", SandboxLimits(memory_bytes=256 << 20))
    assert "smaller model" in caught.value.hint
    with pytest.raises(BundleError, match="could not be read"):
        load_model_file(data, "model.skops", SandboxLimits(memory_bytes=4 << 30))


@pytest.mark.timeout(120)
def test_a_worker_that_stops_answering_is_timed_out_and_killed(tree_run, label_data):
    data = skops_bytes(tree_run.pipeline)
    with pytest.raises(ModelTimeoutError, match=r"longer than 0\.001 s to load"):
        load_model_file(data, "model.skops", SandboxLimits(load_seconds=0.001))
    model = load_model_file(data, "model.skops", SandboxLimits(predict_seconds=1)).pipeline
    pid = model.worker_pid
    os.kill(pid, signal.SIGSTOP)  # a model that never returns, as a loop in native code would
    started = time.monotonic()
    with pytest.raises(ModelTimeoutError, match="longer than 1 s to predict"):
        model.predict(_rows(label_data))
    assert time.monotonic() - started < 10
    assert _gone(pid)
    _same_predictions(model, tree_run.pipeline, label_data)


@pytest.mark.timeout(120)
def test_the_worker_ends_with_its_model(tree_run):
    """No worker is left behind: dropping the imported model (a session ending) kills its process."""
    predictor = load_model_file(skops_bytes(tree_run.pipeline), "model.skops")
    pid = predictor.pipeline.worker_pid
    del predictor
    gc.collect()
    assert _wait_until(lambda: _gone(pid))


@pytest.mark.timeout(120)
def test_the_server_neither_loads_nor_unpickles_an_uploaded_model(tree_run, label_data, monkeypatch):
    """skops and unpickling fail in this process; importing and predicting still work (in the worker)."""
    import multiprocessing.reduction

    import skops.io
    import skops.io._audit

    def forbidden(*args, **kwargs):
        raise AssertionError("called in the server process")

    for target, name in [(skops.io, "loads"), (skops.io, "load"), (skops.io._audit, "get_tree")]:
        monkeypatch.setattr(target, name, forbidden)
    monkeypatch.setattr(multiprocessing.reduction.ForkingPickler, "loads", forbidden)
    model = load_model_file(skops_bytes(tree_run.pipeline), "model.skops").pipeline
    _same_predictions(model, tree_run.pipeline, label_data)
    assert list(model.classes_) == list(tree_run.pipeline.classes_)


@pytest.mark.timeout(120)
def test_an_imported_model_answers_threads_at_once(hgb_run, label_data):
    """Streamlit runs each session in a thread: concurrent requests each get their own rows' answer."""
    model = load_model_file(skops_bytes(hgb_run.pipeline), "model.skops").pipeline
    rows = _rows(label_data)
    parts = [rows.iloc[i::4] for i in range(4)]
    with ThreadPoolExecutor(4) as pool:
        answers = list(pool.map(lambda part: [model.predict_proba(part) for _ in range(5)], parts))
    for part, got in zip(parts, answers, strict=True):
        for proba in got:
            np.testing.assert_array_equal(proba, hgb_run.pipeline.predict_proba(part))


@pytest.mark.timeout(120)
def test_a_regressor_has_no_probabilities_or_classes(label_data):
    """The stand-in answers `hasattr` as the pipeline does, which `predict_frame` relies on."""
    dataset = make_dataset(make_frame(80), "price")
    run = train(dataset, "linear")
    predictor = load_model_file(skops_bytes(run.pipeline), "model.skops")
    assert not hasattr(predictor.pipeline, "predict_proba") and not hasattr(predictor.pipeline, "classes_")
    got = predict_frame(predictor, _rows(dataset))
    np.testing.assert_array_equal(got.labels.to_numpy(), run.pipeline.predict(_rows(dataset)))


WORKBENCH_MODELS = [
    ("kind", "knn", PrepSpec(numeric=NumericPrep(impute="iterative"), k_best=3, k_best_score="mutual_info")),
    (
        "kind",
        "random_forest",
        PrepSpec(numeric=NumericPrep(clip="iqr", add_indicator=True), imbalance="smote"),
    ),
    ("kind", "mlp", PrepSpec(categorical=CategoricalPrep(encode="target"))),
    ("price", "hist_gradient_boosting", PrepSpec()),
    ("price", "xgboost", PrepSpec()),
]


@pytest.mark.timeout(200)
@pytest.mark.parametrize(("target", "key", "prep"), WORKBENCH_MODELS, ids=[m[1] for m in WORKBENCH_MODELS])
def test_workbench_models_pass_the_checks_and_predict_as_trained(target, key, prep):
    """The checks refuse nothing the workbench writes: neighbour trees, forests, optimisers, partials,
    samplers and boosters all import and predict exactly as in memory."""
    dataset = make_dataset(make_frame(80, dates=True), target)
    run = train(dataset, key, prep=prep)
    got = predict_frame(load_model_file(skops_bytes(run.pipeline), "model.skops"), _rows(dataset))
    np.testing.assert_array_equal(got.labels.to_numpy(), run.pipeline.predict(_rows(dataset)))
    if got.probability_columns:
        np.testing.assert_array_equal(
            got.probabilities().to_numpy(), run.pipeline.predict_proba(_rows(dataset))
        )


def _npy(array: np.ndarray, allow_pickle: bool = False) -> bytes:
    buffer = io.BytesIO()
    np.save(buffer, array, allow_pickle=allow_pickle)
    return buffer.getvalue()


def _npz(array: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    np.savez(buffer, array=array)
    return buffer.getvalue()


def _huge_header() -> bytes:
    header = io.BytesIO()
    np.lib.format.write_array_header_1_0(header, {"descr": "<f8", "fortran_order": False, "shape": (2**40,)})
    return header.getvalue() + bytes(8)


UNREADABLE_ANSWERS = {
    "a pickled object array": [b'{"ok": true, "arrays": 1}', _npy(np.array([object()]), allow_pickle=True)],
    "a header claiming 8 TiB": [b'{"ok": true, "arrays": 1}', _huge_header()],
    "an npz archive": [b'{"ok": true, "arrays": 1}', _npz(np.arange(3))],
    "JSON nested too deeply": [b"[" * 100_000 + b"]" * 100_000],
    "more arrays than one": [b'{"ok": true, "arrays": 5}'],
}


@pytest.mark.parametrize("answer", list(UNREADABLE_ANSWERS))
def test_the_server_reads_a_worker_s_answer_as_plain_data_only(answer):
    """A worker is as untrusted as its model: what it sends is JSON and exactly-sized plain arrays,
    or it is refused without unpickling or allocating what a header claims."""
    server, worker = multiprocessing.Pipe()
    for message in [b'{"ok": true, "arrays": 1}', _npy(np.array(["no", "yes"]))]:
        worker.send_bytes(message)
    header, (classes,) = _receive(server, time.monotonic() + 5, 1 << 20)
    assert header["ok"] is True and classes.tolist() == ["no", "yes"]
    for message in UNREADABLE_ANSWERS[answer]:
        worker.send_bytes(message)
    with pytest.raises(_Unreadable):
        _receive(server, time.monotonic() + 5, 1 << 20)


# ---------- the checks as pure functions ----------


@pytest.fixture(scope="module")
def booster_doc(xgb_run):
    return json.loads(xgb_run.pipeline.steps[-1][1].model_.get_booster().save_raw("json"))


def _tree0(doc: dict) -> dict:
    return doc["learner"]["gradient_booster"]["model"]["trees"][0]


BOOSTER_DAMAGE = {
    "array shorter than declared": lambda doc: _tree0(doc)["split_conditions"].pop(),
    "node count wrong": lambda doc: _tree0(doc)["tree_param"].__setitem__("num_nodes", "999"),
    "tree count wrong": lambda doc: doc["learner"]["gradient_booster"]["model"]["trees"].pop(),
    "tree of a class that does not exist": lambda doc: doc["learner"]["gradient_booster"]["model"][
        "tree_info"
    ].__setitem__(0, 5),
    "parent that is not the parent": lambda doc: _tree0(doc)["parents"].__setitem__(1, 2),
    "negative split feature": lambda doc: _tree0(doc)["split_indices"].__setitem__(0, -1),
    "leaf with one child": lambda doc: _tree0(doc)["right_children"].__setitem__(
        _tree0(doc)["left_children"].index(-1), 1
    ),
    "categorical node out of range": lambda doc: (
        _tree0(doc)["categories_nodes"].append(10**6),
        _tree0(doc)["categories_segments"].append(0),
        _tree0(doc)["categories_sizes"].append(0),
    ),
    "categories past their array": lambda doc: (
        _tree0(doc)["split_type"].__setitem__(0, 1),
        _tree0(doc)["categories_nodes"].append(0),
        _tree0(doc)["categories_segments"].append(0),
        _tree0(doc)["categories_sizes"].append(10),
    ),
    "a linear booster": lambda doc: doc["learner"]["gradient_booster"].__setitem__("name", "gblinear"),
    "not a model at all": lambda doc: doc.clear(),
}


@pytest.mark.parametrize("damage", list(BOOSTER_DAMAGE))
def test_booster_json_checks_refuse_every_inconsistency(booster_doc, damage):
    assert check_booster_json(booster_doc) == 7  # the model as XGBoost wrote it: its 7 input features
    doc = copy.deepcopy(booster_doc)
    BOOSTER_DAMAGE[damage](doc)
    with pytest.raises(UntrustedModelError, match="XGBoost booster"):
        check_booster_json(doc)


def _fitted(model):
    rng = np.random.default_rng(0)
    X = np.column_stack([rng.normal(size=60), rng.integers(0, 3, 60)])
    return model.fit(X, (X[:, 0] > 0).astype(int) + (X[:, 1] == 2))


def _wider_member(forest) -> None:
    forest.estimators_[0].n_features_in_ = 5


def _wrong_width(gb) -> None:
    gb.estimators_ = np.hstack([gb.estimators_, gb.estimators_])


def _own_preprocessing(hgb) -> None:
    """Its output (what `categorical_features` makes) is never checked against the input width."""
    hgb._preprocessor = FunctionTransformer().fit(np.zeros((2, 1)))


def _tree_without_width(tree) -> None:
    del tree.n_features_in_


ESTIMATOR_DAMAGE = {
    "forest member wider than the forest": (lambda: RandomForestClassifier(3), _wider_member, "feature"),
    "boosting trees not one per output": (
        lambda: GradientBoostingClassifier(n_estimators=3),
        _wrong_width,
        "outputs",
    ),
    "hist boosting with its own preprocessing": (
        lambda: HistGradientBoostingClassifier(max_iter=3),
        _own_preprocessing,
        "preprocessing step of its own",
    ),
    "tree without an input width": (lambda: DecisionTreeClassifier(), _tree_without_width, "input features"),
}


@pytest.mark.parametrize("damage", list(ESTIMATOR_DAMAGE))
def test_check_model_refuses_estimators_whose_trees_could_read_past_their_input(damage):
    """Ensembles hand their checked input to their members unchecked: every width must agree."""
    make, tamper, match = ESTIMATOR_DAMAGE[damage]
    check_model(_fitted(make()))
    model = _fitted(make())
    tamper(model)
    with pytest.raises(UntrustedModelError, match=match):
        check_model(model)


def test_the_object_walk_has_no_depth_limit_and_enters_object_arrays_and_partials():
    tree = DecisionTreeClassifier().fit(np.eye(2), [0, 1]).tree_
    deep: object = [np.array([partial(as_floats, hidden=tree)], dtype=object)]
    for _ in range(5000):
        deep = {"inside": [deep]}
    assert any(obj is tree for obj in reachable(deep))
    loop: list = []
    loop.append(loop)
    assert reachable(loop) == [loop]


def test_schema_from_data_is_the_card_s_schema_or_a_plain_message(tree_run, label_data):
    card = _card(tree_run, label_data)
    assert schema_from_data(card, "card") == schema_from_run(tree_run, label_data)
    with pytest.raises(BundleError) as caught:
        schema_from_data({**card, "features": [{**card["features"][0], "kind": "identifier"}]}, "card")
    assert caught.value.message == "The card is not valid: feature 1 has an unknown kind."
