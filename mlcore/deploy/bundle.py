"""The model bundle: a zip that runs without the workbench and reproduces itself, and its safe import.

Export writes the fitted pipeline twice: `model.joblib` for plain scikit-learn + joblib, and
`model.skops` in skops' safe format; plus the model card, a standalone `train.py` that rebuilds the
model from the original file and prints the same metrics, `predict.py`, `requirements.txt` and,
where skl2onnx can convert the pipeline, `model.onnx` (checked against the pipeline before it is
included).

The workbench's own helpers (the outlier clipper, the date expander, the XGBoost label wrapper …)
live in `mlcore`. So that `model.joblib` loads without `mlcore`, they are pickled by value
(cloudpickle, which joblib itself depends on): their code travels inside the file.

Import never unpickles: only `model.skops` is read, through `TRUSTED_TYPES`, our allow-list (never
the list of types the file reports), and only inside a worker process with memory and time limits
(`mlcore.deploy.sandbox`), where every tree, predictor and booster is checked before the first
prediction (`mlcore.deploy.checks`). This process reads nothing of an upload but zip directories and
the model card. Pickle and joblib uploads are refused, because loading them runs whatever code they
contain.
"""

from __future__ import annotations

import copy
import io
import json
import platform
import shlex
import threading
import zipfile
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import metadata
from typing import Any

import numpy as np
import pandas as pd

from mlcore.data.archives import check_archive, read_member
from mlcore.dataset import Dataset
from mlcore.deploy.card import build_card, card_json, card_markdown
from mlcore.deploy.checks import BundleError, reachable, schema_from_data
from mlcore.deploy.checks import UntrustedModelError as UntrustedModelError
from mlcore.deploy.codegen import ReadHints, has_original_file, predict_script, read_hints, train_script
from mlcore.deploy.input_schema import ModelSchema, schema_from_run
from mlcore.deploy.predict import Predictor
from mlcore.deploy.sandbox import DEFAULT_LIMITS, SandboxedModel, SandboxLimits
from mlcore.deploy.sandbox import TRUSTED_TYPES as TRUSTED_TYPES
from mlcore.deploy.serving_files import SERVER_REQUIREMENTS, dockerfile, readme, serve_script
from mlcore.deploy.source_writer import CodegenError
from mlcore.errors import LimitExceededError
from mlcore.evaluate.decision_rule import DecisionRule
from mlcore.schema import ColumnType, Task
from mlcore.settings import PRESETS, preset
from mlcore.train.models import get_model
from mlcore.train.prep import MISSING_LEVEL
from mlcore.train.prep_spec import PrepSpec
from mlcore.train.run_data import check_run_data, feature_kinds, training_rows
from mlcore.train.runs import Run
from mlcore.train.split import SplitSpec

MAX_MODEL_BYTES = 200 << 20  # a model file (or a bundle's model.skops) larger than this is refused
MAX_BUNDLE_BYTES = 2 << 30  # a bundle's members together, once unpacked (only two are ever read)
MAX_CARD_BYTES = 10 << 20
DATA_FILE = "data.csv"
READER_REQUIREMENTS = {"excel": ("openpyxl",), "parquet": ("pyarrow",)}  # what pandas needs to read them
ONNX_CHECK_ROWS = 500
CARD_HINT = "Export the model again from the workbench, or upload its model.skops file alone."
PICKLE_SUFFIXES = (".pkl", ".pickle", ".joblib", ".jbl", ".sav", ".dill", ".cloudpickle", ".pt", ".pth")

FILE_DESCRIPTIONS = {
    "model.joblib": "the fitted pipeline; `joblib.load` with scikit-learn (and xgboost, imbalanced-learn) "
    "installed, no ML Workbench needed (same Python minor version)",
    "model.skops": "the same pipeline in skops' safe format (the workbench imports only this file)",
    "model_card.md": "this card",
    "model_card.json": "the card as data (schema, metrics, versions)",
    "train.py": "rebuilds the model from the original data file and prints the same metrics",
    "predict.py": "predicts a CSV, Excel or Parquet file with model.joblib",
    "serve.py": "the model as a REST API (FastAPI + uvicorn, no ML Workbench needed): see README.md",
    "Dockerfile": "a container image serving serve.py (slim Python, pinned requirements, no root)",
    "README.md": "how to predict a file, serve the API and build the container",
    "requirements.txt": "the library versions used",
    DATA_FILE: "the data the model was trained on (a sample or generated table has no file of its own)",
    "model.onnx": "the pipeline in ONNX, for onnxruntime (float32 inputs, one tensor per column)",
}

_PICKLE_LOCK = threading.Lock()


class UnsafeModelFileError(BundleError):
    """A pickle/joblib upload: refused, because loading it would run code from the file."""


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
    for obj in reachable(pipeline):
        for candidate in (type(obj), obj):
            module = getattr(candidate, "__module__", None) or ""
            if module.split(".")[0] == "mlcore":
                found.add(module)
    return [sys.modules[name] for name in sorted(found)]


def skops_bytes(pipeline: Any) -> bytes:
    import skops.io as sio

    return sio.dumps(pipeline)


PLATFORM_MARKERS = {"uvloop": '; sys_platform != "win32"'}  # libraries that exist for some systems only


def requirements_text(pipeline: Any, extra: tuple[str, ...] = ()) -> str:
    """Pinned versions of every library the bundle's files use."""
    names = ["numpy", "pandas", "scipy", "scikit-learn", "joblib", "cloudpickle", "threadpoolctl"]
    modules = {type(obj).__module__.split(".")[0] for obj in reachable(pipeline)}
    if "imblearn" in modules:
        names.append("imbalanced-learn")
    if "xgboost" in modules or any(
        type(o).__name__ == "LabelEncodedXGBClassifier" for o in reachable(pipeline)
    ):
        names.append("xgboost")
    names += ["skops", *extra]
    lines = [f"# Python {platform.python_version()} (model.joblib needs the same minor version)"]
    lines += [
        f"{name}=={version}{PLATFORM_MARKERS.get(name, '')}"
        for name in dict.fromkeys(names)
        if (version := installed_version(name))
    ]
    return "\n".join(lines) + "\n"


@lru_cache(maxsize=64)
def installed_version(name: str) -> str | None:
    """The installed version of a distribution (None when it is not installed); read once, as
    reading package metadata costs milliseconds and every exported or tracked model asks."""
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return None


@dataclass(frozen=True)
class BundleCode:
    """The bundle's code and text files, cheap to make (no model is serialised)."""

    files: dict[str, str]
    data_file: str
    include_data: bool
    notes: tuple[str, ...]
    requirements_extra: tuple[str, ...]


def bundle_code(
    run: Run, dataset: Dataset, hints: ReadHints | None = None, rule: DecisionRule | None = None
) -> BundleCode:
    """train.py, predict.py (with the decision `rule`, if any) and requirements.txt for a run."""
    check_run_data(run, dataset)
    hints = hints or read_hints(dataset)
    notes: list[str] = []
    original = has_original_file(dataset)
    if not original:
        hints = ReadHints()
        notes.append(f"'{dataset.name}' has no file of its own, so the bundle includes it as {DATA_FILE}.")
    data_file = dataset.name if original else DATA_FILE
    extra = (
        *READER_REQUIREMENTS.get(hints.file_format, ()),
        *SERVER_REQUIREMENTS,
    )
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
    files["predict.py"] = predict_script(list(kinds), numbers, dates, run.target, run.task, rule)
    files["serve.py"] = serve_script()
    files["Dockerfile"] = dockerfile()
    files["README.md"] = readme(f"{run.label} predicting '{run.target}'")
    files["requirements.txt"] = requirements_text(run.pipeline, extra)
    return BundleCode(files, data_file, not original, tuple(notes), extra)


def build_bundle(
    run: Run, dataset: Dataset, hints: ReadHints | None = None, rule: DecisionRule | None = None
) -> Bundle:
    """Every file of the bundle for a finished run on its dataset; `rule` is the decision threshold
    chosen on the Evaluate page, written into the card and applied by predict.py."""
    code = bundle_code(run, dataset, hints, rule)
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
    described = contents(code, onnx is not None)
    extra = {"files": described, "onnx": onnx_info, "notes": list(code.notes)}
    card = build_card(run, dataset, schema, extra | ({"decision_rule": rule.to_dict()} if rule else {}))
    files["model_card.json"] = card_json(card).encode("utf-8")
    files["model_card.md"] = card_markdown(card).encode("utf-8")
    return Bundle(bundle_filename(run, dataset), {n: files[n] for n in described}, card, code.notes)


def contents(code: BundleCode, onnx: bool) -> dict[str, str]:
    """The bundle's files (name → what it is for), in the order the zip holds them: what
    `build_bundle` writes, and what the Export page lists before it is built."""
    names = {"model.joblib", "model.skops", "model_card.md", "model_card.json", *code.files}
    names |= {DATA_FILE} if code.include_data else set()
    names |= {"model.onnx"} if onnx else set()
    return {name: FILE_DESCRIPTIONS[name] for name in FILE_DESCRIPTIONS if name in names}


@dataclass(frozen=True)
class ExportCommand:
    """The `mlcore export` line that makes a bundle of this run's model from the command line, and
    whether it reproduces the run (the command uses the default preprocessing, split and settings)."""

    text: str
    reproduces_run: bool


def export_command(run: Run, data_file: str) -> ExportCommand:
    """The command line for `run`'s bundle from `data_file`, quoted for a shell; under another preset
    than the standard one it names it, since the preset sets the rows a slow model trains on."""
    chosen = preset()
    flag = "" if chosen == PRESETS[0] else f"--preset {chosen} "
    text = (
        f"mlcore {flag}export {shlex.quote(data_file)} --target {shlex.quote(run.target)} "
        f"--model {run.model_key} --seed {run.seed} -o bundle.zip"
    )
    defaults = get_model(run.task, run.model_key).defaults()
    return ExportCommand(text, run.prep == PrepSpec() and run.split == SplitSpec() and run.params == defaults)


def bundle_filename(run: Run, dataset: Dataset) -> str:
    return f"{file_stem(dataset)}-{run.model_key}-{run.id}.zip"


def file_stem(dataset: Dataset) -> str:
    """The dataset's name without its extension, letters and digits only: the start of a download's
    file name that any file system and shell take as it is."""
    return "".join(c if c.isalnum() else "-" for c in dataset.name.rsplit(".", 1)[0]).strip("-") or "data"


def onnx_outlook(run: Run, dataset: Dataset) -> str:
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
    for obj in reachable(pipeline):
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
    from mlcore.train.prep import as_strings

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


def load_model_file(data: bytes, filename: str, limits: SandboxLimits = DEFAULT_LIMITS) -> Predictor:
    """A bundle (.zip) or a .skops file as a `Predictor` whose model runs in a sandboxed worker; pickles
    are refused before any byte is used, and a bundle's card is checked before the model is loaded."""
    name = filename.lower()
    if name.endswith(PICKLE_SUFFIXES) or _looks_like_pickle(data):
        raise UnsafeModelFileError(
            f"'{filename}' is a pickle (joblib) file, and loading one runs whatever code it contains, on "
            "this server. It is refused whatever its content.",
            "Upload the bundle (.zip) exported by the workbench, or its model.skops file: skops files are "
            "checked against a list of trusted types and run no code.",
        )
    if len(data) > MAX_MODEL_BYTES:
        raise LimitExceededError(
            f"'{filename}' is {len(data) / 2**20:,.0f} MB; model files are limited to "
            f"{MAX_MODEL_BYTES / 2**20:,.0f} MB.",
            "Export a smaller model (fewer or shallower trees).",
        )
    skops, card = _skops_and_card(data, filename)
    schema, title, run_id = _card_facts(card) if card is not None else (None, filename, None)
    model = load_skops(skops, limits)
    if schema is None:
        schema = model.schema
    elif (schema.names, schema.classes) != (model.schema.names, model.schema.classes):
        raise BundleError(
            "The bundle's model card does not describe its model: the columns or classes differ.", CARD_HINT
        )
    rule = _card_rule(card, model) if card is not None else None
    return Predictor(title, model, schema, f"imported {filename}", run_id, rule)


def _skops_and_card(data: bytes, filename: str) -> tuple[bytes, Any]:
    """The skops bytes and the parsed card (None for a bare .skops file); nothing else is unpacked."""
    if not zipfile.is_zipfile(io.BytesIO(data)):
        raise BundleError(
            f"'{filename}' is neither a bundle (.zip) nor a .skops file.",
            "Upload the .zip from the Export page, or the model.skops file inside it.",
        )
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        members = set(archive.namelist())
        if "model.skops" in members:
            check_archive(archive, MAX_BUNDLE_BYTES, "bundle")
            skops = read_member(archive, "model.skops", MAX_MODEL_BYTES, "bundle")
            return skops, _read_card(archive) if "model_card.json" in members else None
        if "schema.json" in members:  # a bare .skops file is itself a zip with schema.json
            return data, None
    raise BundleError(
        f"'{filename}' has no model.skops inside.", "Upload a bundle exported by the workbench."
    )


def _looks_like_pickle(data: bytes) -> bool:
    return data[:1] == b"\x80" and data[1:2] in (b"\x02", b"\x03", b"\x04", b"\x05")


def _read_card(archive: zipfile.ZipFile) -> Any:
    try:
        return json.loads(read_member(archive, "model_card.json", MAX_CARD_BYTES, "bundle"))
    except (ValueError, RecursionError):  # not JSON (or not UTF-8), or nested deeper than Python recurses
        raise BundleError(
            "The bundle's model card (model_card.json) is not valid JSON, or is nested too deeply to read.",
            CARD_HINT,
        ) from None


def _card_facts(card: Any) -> tuple[ModelSchema, str, str | None]:
    """The schema, title and run id a card gives, each checked for its type."""
    schema = schema_from_data(card, "bundle's model card")
    title, run_id = card.get("title"), card.get("run_id")
    if not isinstance(title, str) or not (run_id is None or isinstance(run_id, str)):
        raise BundleError("The bundle's model card is not valid: its title or run id is not text.", CARD_HINT)
    return schema, title, run_id


def _card_rule(card: Any, model: SandboxedModel) -> DecisionRule | None:
    """The decision rule a card gives, checked against the model's classes and scores."""
    data = card.get("decision_rule")
    if data is None:
        return None
    if not isinstance(data, dict):
        raise BundleError("The bundle's decision rule is not valid.", CARD_HINT)
    rule = DecisionRule.from_dict(data)
    classes = model.schema.classes
    scores = (
        hasattr(model, "predict_proba")
        if rule.score == "probability"
        else hasattr(model, "decision_function")
    )
    if classes is None or len(classes) != 2 or (rule.negative, rule.positive) != tuple(classes) or not scores:
        raise BundleError("The bundle's decision rule does not fit its model.", CARD_HINT)
    return rule


def load_skops(data: bytes, limits: SandboxLimits = DEFAULT_LIMITS) -> SandboxedModel:
    """A pipeline from skops bytes, loaded and run in its own worker process: only `TRUSTED_TYPES` (and
    skops' safe defaults), every structure checked there before it is used."""
    return SandboxedModel(data, limits)
