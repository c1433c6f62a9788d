"""The model bundle: a zip that runs without the workbench and reproduces itself, and its safe import.

Export writes the fitted pipeline twice: `model.joblib` for plain scikit-learn + joblib, and
`model.skops` in skops' safe format; plus the model card, a standalone `train.py` that rebuilds the
model from the original file and prints the same metrics, `predict.py`, `requirements.txt` and,
where skl2onnx can convert the pipeline, `model.onnx` (checked against the pipeline before it is
included).

The workbench's own helpers (the outlier clipper, the date expander, the XGBoost label wrapper …)
live in `mlcore`. So that `model.joblib` loads without `mlcore`, they are pickled by value
(cloudpickle, which joblib itself depends on): their code travels inside the file.

Import never unpickles: only `model.skops` is read, through `TRUSTED_TYPES`, the allow-list kept
here (never the list of types the file reports). Pickle and joblib uploads are refused, because
loading them runs whatever code they contain.
"""

from __future__ import annotations

import copy
import io
import json
import platform
import threading
import zipfile
from dataclasses import dataclass, field
from importlib import metadata
from typing import Any

import numpy as np
import pandas as pd

from mlcore.codegen import (
    CodegenError,
    ReadHints,
    has_original_file,
    predict_script,
    read_hints,
    train_script,
)
from mlcore.dataset import Dataset
from mlcore.errors import MLCoreError
from mlcore.model_card import build_card, card_json, card_markdown
from mlcore.model_schema import (
    FeatureSpec,
    ModelSchema,
    check_run_data,
    feature_kinds,
    schema_from_run,
    training_rows,
)
from mlcore.models import get_model
from mlcore.predict import Predictor
from mlcore.prep import MISSING_LEVEL
from mlcore.schema import ColumnType, Task

MAX_MODEL_BYTES = 1 << 30  # a model file larger than this is refused on import
MAX_CARD_BYTES = 10 << 20
DATA_FILE = "data.csv"
ONNX_CHECK_ROWS = 500

# The only types an imported `.skops` file may contain besides skops' own safe defaults (builtins,
# numpy arrays, scikit-learn estimators). Tree and TreePredictor hold node indices scikit-learn
# follows without bounds checks, so loaded models are checked by `_check_structures` as well.
TRUSTED_TYPES: tuple[str, ...] = (
    "functools.partial",
    "imblearn.pipeline.Pipeline",
    "imblearn.over_sampling._random_over_sampler.RandomOverSampler",
    "imblearn.over_sampling._smote.base.SMOTE",
    "imblearn.under_sampling._prototype_selection._random_under_sampler.RandomUnderSampler",
    "mlcore.models.LabelEncodedXGBClassifier",
    "mlcore.prep.DatetimeExpander",
    "mlcore.prep.OutlierClipper",
    "mlcore.prep.as_floats",
    "mlcore.prep.as_strings",
    "mlcore.prep.as_text",
    "mlcore.prep.to_dense",
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
PICKLE_SUFFIXES = (".pkl", ".pickle", ".joblib", ".jbl", ".sav", ".dill", ".cloudpickle", ".pt", ".pth")

FILE_DESCRIPTIONS = {
    "model.joblib": "the fitted pipeline; `joblib.load` with scikit-learn (and xgboost, imbalanced-learn) "
    "installed, no ML Workbench needed (same Python minor version)",
    "model.skops": "the same pipeline in skops' safe format (the workbench imports only this file)",
    "model_card.md": "this card",
    "model_card.json": "the card as data (schema, metrics, versions)",
    "train.py": "rebuilds the model from the original data file and prints the same metrics",
    "predict.py": "predicts a CSV, Excel or Parquet file with model.joblib",
    "requirements.txt": "the library versions used",
    DATA_FILE: "the data the model was trained on (a sample or generated table has no file of its own)",
    "model.onnx": "the pipeline in ONNX, for onnxruntime (float32 inputs, one tensor per column)",
}

_PICKLE_LOCK = threading.Lock()


class BundleError(MLCoreError):
    """A bundle could not be made or read."""


class UnsafeModelFileError(BundleError):
    """A pickle/joblib upload: refused, because loading it would run code from the file."""


class UntrustedModelError(BundleError):
    """A .skops file with types outside the allow-list, or with inconsistent tree structures."""


@dataclass(frozen=True)
class Bundle:
    """The files of a bundle (name → bytes) and its card."""

    filename: str
    files: dict[str, bytes]
    card: dict[str, Any]
    notes: tuple[str, ...] = field(default_factory=tuple)

    def zip_bytes(self) -> bytes:
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            for name, data in self.files.items():
                archive.writestr(name, data)
        return buffer.getvalue()

    def text(self, name: str) -> str:
        return self.files[name].decode("utf-8")


# ---------- export ----------


def joblib_bytes(pipeline: Any) -> bytes:
    """The pipeline as a joblib-loadable pickle in which the workbench's own code travels by value."""
    import cloudpickle

    modules = _our_modules(pipeline)
    with _PICKLE_LOCK:
        for module in modules:
            cloudpickle.register_pickle_by_value(module)
        try:
            return cloudpickle.dumps(pipeline, protocol=5)
        finally:
            for module in modules:
                cloudpickle.unregister_pickle_by_value(module)


def _our_modules(pipeline: Any) -> list[Any]:
    import sys

    found: set[str] = set()
    for obj in _walk(pipeline):
        for candidate in (type(obj), obj):
            module = getattr(candidate, "__module__", None) or ""
            if module.split(".")[0] == "mlcore":
                found.add(module)
    return [sys.modules[name] for name in sorted(found)]


def _walk(obj: Any, depth: int = 0, seen: set[int] | None = None) -> list[Any]:
    """Every object reachable through estimator attributes, lists, tuples, dicts and partials."""
    import functools

    seen = set() if seen is None else seen
    if id(obj) in seen or depth > 12:
        return []
    seen.add(id(obj))
    out = [obj]
    if isinstance(obj, (list, tuple)):
        children: list[Any] = list(obj)
    elif isinstance(obj, dict):
        children = list(obj.values())
    elif isinstance(obj, functools.partial):
        children = [obj.func, *obj.args, *obj.keywords.values()]
    elif hasattr(obj, "get_params") or type(obj).__module__.split(".")[0] in (
        "mlcore",
        "sklearn",
        "imblearn",
    ):
        children = list(getattr(obj, "__dict__", {}).values())
    else:
        children = []
    for child in children:
        if isinstance(child, (np.ndarray, str, bytes, int, float)) or child is None:
            continue
        out += _walk(child, depth + 1, seen)
    return out


def skops_bytes(pipeline: Any) -> bytes:
    import skops.io as sio

    return sio.dumps(pipeline)


def requirements_text(pipeline: Any, extra: tuple[str, ...] = ()) -> str:
    """Pinned versions of every library the bundle's files use."""
    names = ["numpy", "pandas", "scipy", "scikit-learn", "joblib", "cloudpickle", "threadpoolctl"]
    modules = {type(obj).__module__.split(".")[0] for obj in _walk(pipeline)}
    if "imblearn" in modules:
        names.append("imbalanced-learn")
    if "xgboost" in modules or any(type(o).__name__ == "LabelEncodedXGBClassifier" for o in _walk(pipeline)):
        names.append("xgboost")
    names += ["skops", *extra]
    lines = [f"# Python {platform.python_version()} (model.joblib needs the same minor version)"]
    for name in dict.fromkeys(names):
        try:
            lines.append(f"{name}=={metadata.version(name)}")
        except metadata.PackageNotFoundError:
            continue
    return "\n".join(lines) + "\n"


@dataclass(frozen=True)
class BundleCode:
    """The bundle's code and text files, cheap to make (no model is serialised)."""

    files: dict[str, str]
    data_file: str
    include_data: bool
    notes: tuple[str, ...]
    requirements_extra: tuple[str, ...]


def bundle_code(run: Any, dataset: Dataset, hints: ReadHints | None = None) -> BundleCode:
    """train.py, predict.py and requirements.txt for a run ("show me the code")."""
    check_run_data(run, dataset)
    hints = hints or read_hints(dataset)
    notes: list[str] = []
    original = has_original_file(dataset)
    if not original:
        hints = ReadHints()
        notes.append(f"'{dataset.name}' has no file of its own, so the bundle includes it as {DATA_FILE}.")
    data_file = dataset.name if original else DATA_FILE
    extra = {"excel": ("openpyxl",), "parquet": ("pyarrow",)}.get(hints.file_format, ())
    files: dict[str, str] = {}
    spec = get_model(run.task, run.model_key)
    try:
        files["train.py"] = train_script(
            run, dataset, hints, data_file, spec.sample_cap if run.sampled else None
        )
    except CodegenError as exc:
        notes.append(f"train.py was left out: {exc.message}")
    kinds = feature_kinds(run.pipeline)
    numbers = [n for n, k in kinds.items() if k is ColumnType.NUMERIC]
    dates = [n for n, k in kinds.items() if k is ColumnType.DATETIME]
    files["predict.py"] = predict_script(list(kinds), numbers, dates, run.target, run.task)
    files["requirements.txt"] = requirements_text(run.pipeline, extra)
    return BundleCode(files, data_file, not original, tuple(notes), extra)


def build_bundle(run: Any, dataset: Dataset, hints: ReadHints | None = None) -> Bundle:
    """Every file of the bundle for a finished run on its dataset."""
    code = bundle_code(run, dataset, hints)
    schema = schema_from_run(run, dataset)
    files: dict[str, bytes] = {
        "model.joblib": joblib_bytes(run.pipeline),
        "model.skops": skops_bytes(run.pipeline),
        **{name: text.encode("utf-8") for name, text in code.files.items()},
    }
    if code.include_data:
        files[DATA_FILE] = dataset.frame.to_csv(index=False).encode("utf-8")
    onnx, onnx_info = onnx_bytes(run.pipeline, schema, training_rows(run, dataset))
    if onnx is not None:
        files["model.onnx"] = onnx
        files["requirements.txt"] = requirements_text(
            run.pipeline, (*code.requirements_extra, "onnxruntime")
        ).encode("utf-8")
    described = {name: FILE_DESCRIPTIONS[name] for name in [*files, "model_card.md", "model_card.json"]}
    card = build_card(
        run, dataset, schema, {"files": described, "onnx": onnx_info, "notes": list(code.notes)}
    )
    files["model_card.json"] = card_json(card).encode("utf-8")
    files["model_card.md"] = card_markdown(card).encode("utf-8")
    order = [n for n in FILE_DESCRIPTIONS if n in files]
    return Bundle(bundle_filename(run, dataset), {n: files[n] for n in order}, card, code.notes)


def bundle_filename(run: Any, dataset: Dataset) -> str:
    stem = "".join(c if c.isalnum() else "-" for c in dataset.name.rsplit(".", 1)[0]).strip("-") or "data"
    return f"{stem}-{run.model_key}-{run.id}.zip"


def onnx_outlook(run: Any, dataset: Dataset) -> str:
    """Before building: why ONNX will be left out, or '' when skl2onnx may convert the pipeline."""
    return _onnx_blocker(run.pipeline, schema_from_run(run, dataset))


# ---------- ONNX ----------


def onnx_bytes(pipeline: Any, schema: ModelSchema, rows: pd.DataFrame) -> tuple[bytes | None, dict[str, Any]]:
    """The pipeline in ONNX where skl2onnx converts it and the result agrees; else None and why."""
    try:
        import onnxruntime  # noqa: F401
        import skl2onnx  # noqa: F401
    except ImportError:
        return None, {"included": False, "note": "not included: skl2onnx and onnxruntime are not installed."}
    reason = _onnx_blocker(pipeline, schema)
    if reason:
        return None, {"included": False, "note": f"not included: {reason}"}
    try:
        model, inputs = _onnx_ready(pipeline, schema)
        from skl2onnx import convert_sklearn

        options = {id(model.steps[-1][1]): {"zipmap": False}} if schema.task is Task.CLASSIFICATION else None
        proto = convert_sklearn(model, initial_types=inputs, options=options)
        data = proto.SerializeToString()
        agreement = _onnx_agreement(data, pipeline, schema, rows)
    except Exception as exc:  # a converter's limits show up as many exception types
        first = str(exc).strip().splitlines()[0][:200] if str(exc).strip() else type(exc).__name__
        return None, {
            "included": False,
            "note": f"not included: skl2onnx cannot convert this pipeline ({first}).",
        }
    if agreement < 0.99:
        return None, {
            "included": False,
            "note": f"not included: the converted model agreed with the pipeline on only {agreement:.1%} "
            "of the training rows checked.",
        }
    return data, {
        "included": True,
        "agreement": agreement,
        "note": (
            f"model.onnx agrees with the pipeline on {agreement:.1%} of {min(len(rows), ONNX_CHECK_ROWS)} "
            "training rows (it computes in float32). Inputs: one [N, 1] tensor per column, float32 for "
            "numbers and true/false (NaN for missing), string for categories "
            f"('{MISSING_LEVEL}' for missing)."
        ),
    }


def _onnx_blocker(pipeline: Any, schema: ModelSchema) -> str:
    kinds = {f.kind for f in schema.features}
    if ColumnType.TEXT.value in kinds or ColumnType.DATETIME.value in kinds:
        return "free-text and date columns have no ONNX converter here."
    model = pipeline.steps[-1][1]
    if "xgb" in type(model).__name__.lower():
        return "XGBoost needs the onnxmltools converters, which are not installed."
    for obj in _walk(pipeline):
        name = type(obj).__name__
        if name in ("OutlierClipper", "MissingIndicator", "TargetEncoder", "IterativeImputer", "KNNImputer"):
            return f"skl2onnx has no converter for {name}."
        if name == "SimpleImputer" and getattr(obj, "strategy", "") == "most_frequent" and _text_imputer(obj):
            return "the most-frequent imputation of categories has no ONNX Runtime kernel."
    return ""


def _text_imputer(imputer: Any) -> bool:
    return getattr(imputer, "statistics_", np.zeros(0)).dtype == object


def _onnx_ready(pipeline: Any, schema: ModelSchema) -> tuple[Any, list]:
    """A scikit-learn copy without the steps ONNX cannot run (and the inputs make unnecessary)."""
    from skl2onnx.common.data_types import FloatTensorType, StringTensorType
    from sklearn.pipeline import Pipeline

    steps = [(n, copy.deepcopy(s)) for n, s in pipeline.steps if not hasattr(s, "fit_resample")]
    prep = steps[0][1]
    for _, transformer, _ in prep.transformers_:
        if hasattr(transformer, "steps"):
            transformer.steps = [
                (n, s)
                for n, s in transformer.steps
                if type(s).__name__ != "FunctionTransformer" and not _text_imputer(s)
            ]
    inputs = [
        (
            f.name,
            StringTensorType([None, 1])
            if f.kind == ColumnType.CATEGORICAL.value
            else FloatTensorType([None, 1]),
        )
        for f in schema.features
    ]
    return Pipeline(steps), inputs


def onnx_feed(schema: ModelSchema, X: pd.DataFrame) -> dict[str, np.ndarray]:
    """The ONNX model's inputs for these rows (the contract written in the model card)."""
    from mlcore.prep import as_strings

    feed = {}
    for spec in schema.features:
        column = X[[spec.name]]
        if spec.kind == ColumnType.CATEGORICAL.value:
            text = as_strings(column)
            feed[spec.name] = np.where(pd.isna(text), MISSING_LEVEL, text).astype(object)
        else:
            feed[spec.name] = column.astype("float64").to_numpy(dtype=np.float32)
    return feed


def _onnx_agreement(data: bytes, pipeline: Any, schema: ModelSchema, rows: pd.DataFrame) -> float:
    import onnxruntime as ort

    X = rows[schema.names].iloc[:ONNX_CHECK_ROWS]
    session = ort.InferenceSession(data, providers=["CPUExecutionProvider"])
    outputs = session.run(None, onnx_feed(schema, X))
    if schema.task is Task.CLASSIFICATION:
        return float(np.mean(np.asarray(outputs[0]).ravel() == np.asarray(pipeline.predict(X)).ravel()))
    expected = np.asarray(pipeline.predict(X), dtype=float)
    got = np.asarray(outputs[0], dtype=float).ravel()
    tolerance = 1e-3 * (np.std(expected) + 1e-9)
    return float(np.mean(np.abs(got - expected) <= tolerance))


# ---------- import ----------


def load_model_file(data: bytes, filename: str) -> Predictor:
    """A bundle (.zip) or a .skops file as a `Predictor`; pickles are refused before any byte is used."""
    name = filename.lower()
    if name.endswith(PICKLE_SUFFIXES) or _looks_like_pickle(data):
        raise UnsafeModelFileError(
            f"'{filename}' is a pickle (joblib) file, and loading one runs whatever code it contains, on "
            "this server. It is refused whatever its content.",
            "Upload the bundle (.zip) exported by the workbench, or its model.skops file: skops files are "
            "checked against a list of trusted types and run no code.",
        )
    if not zipfile.is_zipfile(io.BytesIO(data)):
        raise BundleError(
            f"'{filename}' is neither a bundle (.zip) nor a .skops file.",
            "Upload the .zip from the Export page, or the model.skops file inside it.",
        )
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        members = set(archive.namelist())
        if "model.skops" in members:
            skops = _read_member(archive, "model.skops", MAX_MODEL_BYTES)
            card = (
                json.loads(_read_member(archive, "model_card.json", MAX_CARD_BYTES))
                if ("model_card.json" in members)
                else None
            )
        elif "schema.json" in members:  # a bare .skops file is itself a zip with schema.json
            skops, card = data, None
        else:
            raise BundleError(
                f"'{filename}' has no model.skops inside.", "Upload a bundle exported by the workbench."
            )
    pipeline = load_skops(skops)
    schema = ModelSchema.from_dict(card) if card else schema_from_pipeline(pipeline)
    label = card["title"] if card else filename
    return Predictor(label, pipeline, schema, f"imported {filename}", card.get("run_id") if card else None)


def _looks_like_pickle(data: bytes) -> bool:
    return data[:1] == b"\x80" and data[1:2] in (b"\x02", b"\x03", b"\x04", b"\x05")


def _read_member(archive: zipfile.ZipFile, name: str, limit: int) -> bytes:
    info = archive.getinfo(name)
    if info.file_size > limit:
        raise BundleError(f"'{name}' in the bundle is too large ({info.file_size:,} bytes).", "")
    return archive.read(name)


def load_skops(data: bytes) -> Any:
    """Load a pipeline from skops bytes, allowing only `TRUSTED_TYPES` (and skops' safe defaults)."""
    import skops.io as sio
    from skops.io.exceptions import UntrustedTypesFoundException

    try:
        pipeline = sio.loads(data, trusted=list(TRUSTED_TYPES))
    except UntrustedTypesFoundException as exc:
        first = str(exc).splitlines()[0]
        raise UntrustedModelError(
            f"The model file contains types the workbench does not trust, so it was not loaded. {first}",
            "Only models exported by the workbench can be imported.",
        ) from None
    except Exception as exc:  # a damaged or foreign file fails in many ways inside skops
        raise BundleError(
            "The model file could not be read.", f"It may be damaged or not made by the workbench ({exc})."
        ) from None
    if not (hasattr(pipeline, "steps") and hasattr(pipeline, "predict")):
        raise UntrustedModelError(
            "The file does not hold a prediction pipeline.", "Upload a workbench bundle."
        )
    _check_structures(pipeline)
    return pipeline


def _check_structures(pipeline: Any) -> None:
    """Refuse trees and neighbour indices that point outside their arrays (a crafted file could)."""
    for obj in _walk(pipeline):
        kind = type(obj).__name__
        if kind == "Tree" and type(obj).__module__.startswith("sklearn.tree"):
            n = obj.node_count
            left, right, feature = obj.children_left, obj.children_right, obj.feature
            leaf = left == -1
            bad = (
                ((left < -1) | (left >= n) | (right < -1) | (right >= n)).any()
                or (leaf != (right == -1)).any()
                or ((feature[~leaf] < 0) | (feature[~leaf] >= obj.n_features)).any()
                or obj.value.shape[0] != n
            )
        elif kind == "TreePredictor":
            nodes = obj.nodes
            n = len(nodes)
            inner = nodes["is_leaf"] == 0
            bad = bool(
                (nodes["left"][inner] >= n).any()
                or (nodes["right"][inner] >= n).any()
                or (nodes["left"][inner] <= 0).any()
                or (nodes["right"][inner] <= 0).any()
            )
        elif kind in ("KDTree", "BallTree"):
            data, index, nodes = obj.data, np.asarray(obj.idx_array), np.asarray(obj.node_data)
            m = len(data)
            bad = bool(
                len(index) != m
                or ((index < 0) | (index >= m)).any()
                or (
                    (nodes["idx_start"] < 0)
                    | (nodes["idx_end"] > m)
                    | (nodes["idx_start"] > nodes["idx_end"])
                ).any()
            )
        else:
            continue
        if bad:
            raise UntrustedModelError(
                f"The model file holds a {kind} whose node indices point outside it; it was not loaded.",
                "The file is damaged or was crafted; export the model again.",
            )


def schema_from_pipeline(pipeline: Any) -> ModelSchema:
    """A schema from the pipeline alone (a bare .skops file): column names and types, no defaults."""
    kinds = feature_kinds(pipeline)
    features = tuple(FeatureSpec(name, kind.value, "") for name, kind in kinds.items())
    classes = getattr(pipeline, "classes_", None)
    task = Task.CLASSIFICATION if classes is not None else Task.REGRESSION
    return ModelSchema(features, "target", task, None if classes is None else tuple(classes))
