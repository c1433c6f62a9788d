"""The bundle: a joblib model that loads without mlcore, a train.py that prints the run's metrics,
a safe import through the skops allow-list, and pickles refused before they can run."""

from __future__ import annotations

import io
import json
import pickle
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from model_helpers import make_dataset, make_frame, plain_env, run_script, train
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler
from threadpoolctl import threadpool_limits

from mlcore.data.loading import load_path
from mlcore.data.readers import ReadOptions
from mlcore.dataset import set_target
from mlcore.deploy.bundle import (
    TRUSTED_TYPES,
    BundleError,
    UnsafeModelFileError,
    UntrustedModelError,
    build_bundle,
    load_model_file,
    onnx_feed,
    skops_bytes,
)
from mlcore.deploy.card import run_metrics
from mlcore.deploy.codegen import ReadHints, read_hints
from mlcore.deploy.input_schema import schema_from_run
from mlcore.deploy.sandbox import SandboxedModel
from mlcore.train.fit import train_model
from mlcore.train.prep_spec import CategoricalPrep, NumericPrep, PrepSpec
from mlcore.train.runs import ModelChoice, TrainRequest
from mlcore.train.split import SplitSpec

PYTHON = sys.executable

# A fresh interpreter that cannot import mlcore: only what a user without the workbench has.
NO_MLCORE = """
import importlib.abc, sys
class _Block(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path, target=None):
        if name == "mlcore" or name.startswith("mlcore."):
            raise ImportError("mlcore is not installed here")
sys.meta_path.insert(0, _Block())
"""


def _extract(bundle, where: Path) -> Path:
    where.mkdir(parents=True, exist_ok=True)
    zipfile.ZipFile(io.BytesIO(bundle.zip_bytes())).extractall(where)
    return where


def test_joblib_model_loads_and_predicts_without_mlcore(tmp_path):
    """Every workbench helper class and function is inside a pipeline here; none may need mlcore."""
    frame = make_frame(100, dates=True, text=True)
    prep = PrepSpec(numeric=NumericPrep(clip="iqr", add_indicator=True))
    cases = {
        "xgb": (make_dataset(frame, "kind"), "xgboost", prep),  # label wrapper, clipper, dates, text, flags
        "hgb": (make_dataset(frame, "price"), "hist_gradient_boosting", prep),  # dense step for text
    }
    expected = {}
    for name, (dataset, key, spec) in cases.items():
        run = train(dataset, key, prep=spec)
        folder = _extract(build_bundle(run, dataset), tmp_path / name)
        rows = dataset.frame.loc[run.holdout_index, dataset.features]
        rows.to_pickle(folder / "rows.pkl")
        expected[name] = run.y_pred
    script = (
        NO_MLCORE
        + f"""
import joblib, numpy as np, pandas as pd
out = {{}}
for name in {list(cases)!r}:
    model = joblib.load(r"{tmp_path}/" + name + "/model.joblib")
    out[name] = model.predict(pd.read_pickle(r"{tmp_path}/" + name + "/rows.pkl")).tolist()
assert not [m for m in sys.modules if m.startswith("mlcore")]
print(__import__("json").dumps(out))
"""
    )
    done = subprocess.run(
        [PYTHON, "-c", script], cwd=tmp_path, env=plain_env(), capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    got = json.loads(done.stdout.strip().splitlines()[-1])
    assert got["xgb"] == list(expected["xgb"])  # exactly the run's holdout predictions
    assert got["hgb"] == list(expected["hgb"])


def _csv_dataset(tmp_path: Path, frame: pd.DataFrame, target: str, name: str = "data.csv", **csv_options):
    tmp_path.mkdir(parents=True, exist_ok=True)
    path = tmp_path / name
    if name.endswith(".parquet"):
        frame.to_parquet(path, index=False)
    else:
        frame.to_csv(path, index=False, **csv_options)
    dataset = load_path(path)
    return set_target(dataset, target), path


TRAIN_CASES = {
    "forest, categories, missing values, clipping": (
        "label",
        "random_forest",
        PrepSpec(numeric=NumericPrep(clip="iqr", add_indicator=True)),
        SplitSpec(cv_folds=3),
        {"n_estimators": 15},
        {},
    ),
    "xgboost regression, dates, ordinal codes, decimal commas": (
        "price",
        "xgboost",
        PrepSpec(
            categorical=CategoricalPrep(encode="ordinal"), numeric=NumericPrep(impute="mean", power=True)
        ),
        SplitSpec(cv_folds=2),
        {"n_estimators": 15},
        {"sep": ";", "decimal": ","},
    ),
    "logistic regression, text, selection, SMOTE": (
        "label",
        "logistic_regression",
        PrepSpec(k_best=5, k_best_score="mutual_info", imbalance="smote"),
        SplitSpec(cv_folds=2),
        {},
        {},
    ),
    "boosting regression, groups, parquet": (
        "price",
        "hist_gradient_boosting",
        PrepSpec(categorical=CategoricalPrep(encode="target")),
        SplitSpec(cv_folds=2, group_column="colour"),
        {"max_iter": 15},
        {},
    ),
}


def test_train_py_prints_the_runs_metrics(tmp_path):
    """The generated script, run on the original file in a plain interpreter, gives the same numbers."""
    base = make_frame(90, dates=True, text=True)
    base["colour"] = base["colour"].fillna("grey")  # a group column has no missing groups
    processes = {}
    for i, (case, (target, key, prep, split, params, options)) in enumerate(TRAIN_CASES.items()):
        frame = base.drop(columns=[c for c in ("label", "kind", "price") if c != target])
        if key == "xgboost":
            frame = frame.drop(columns=["review"])
        name = "data.parquet" if "parquet" in case else "data.csv"
        dataset, path = _csv_dataset(tmp_path / str(i), frame, target, name=name, **options)
        if options.get("sep") == ";":
            assert read_hints(dataset).sep == ";" and read_hints(dataset).decimal == ","
        request = TrainRequest(dataset, prep, split, (ModelChoice(key, params),), seed=3)
        with threadpool_limits(1):
            run = train_model(request, request.models[0])
        assert run.ok, run.message
        bundle = build_bundle(run, dataset)
        assert json.loads(bundle.files["model_card.json"])["metrics"] == run_metrics(run)
        folder = _extract(bundle, tmp_path / str(i) / "bundle")
        processes[case] = (
            run,
            subprocess.Popen(
                [PYTHON, "train.py", str(path)],
                cwd=folder,
                env=plain_env(),
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            ),
        )
    for case, (run, process) in processes.items():
        out, err = process.communicate(timeout=240)
        assert process.returncode == 0, f"{case}: {err}"
        printed = json.loads(out.strip().splitlines()[-1])
        assert printed == run_metrics(run), case
        assert printed["cv_mean"] and printed["holdout"]


def test_read_hints_are_what_the_reader_recorded(tmp_path, bad_dir):
    path = tmp_path / "données.csv"
    path.write_bytes("ville;taille;classe\nBesançon;1,5;a\nOrléans;2,25;b\nMálaga;3,0;a\n".encode("latin-1"))
    assert read_hints(load_path(path)) == ReadHints("csv", ";", ",", "cp1252")
    ragged = load_path(bad_dir / "ragged_rows.csv", ReadOptions(drop_bad_rows=True))
    assert read_hints(ragged) == ReadHints(drop_bad_rows=True)
    assert read_hints(load_path(bad_dir / "two_sheets.xlsx")) == ReadHints("excel", sheet="data")
    renamed = tmp_path / "really_parquet.csv"  # the format comes from the content, as when reading
    pd.DataFrame({"a": [1, 2]}).to_parquet(renamed)
    assert read_hints(load_path(renamed)) == ReadHints("parquet")
    assert read_hints(make_dataset(make_frame(20), "kind")) == ReadHints()  # no file: plain CSV


def test_train_py_for_a_sample_uses_the_bundled_data(tmp_path):
    dataset = make_dataset(make_frame(80), "kind", name="Made up")
    run = train(dataset, "decision_tree", split=SplitSpec(test_size=0.25, cv_folds=2))
    bundle = build_bundle(run, dataset)
    assert "data.csv" in bundle.files and any("no file of its own" in n for n in bundle.notes)
    folder = _extract(bundle, tmp_path)
    done = run_script(folder, "train.py", "data.csv")
    assert json.loads(done.stdout.strip().splitlines()[-1]) == run_metrics(run)


def test_predict_py_predicts_a_csv_and_escapes_formulas(tmp_path):
    frame = make_frame(80)
    dataset = make_dataset(frame, "label")
    run = train(dataset, "logistic_regression")
    folder = _extract(build_bundle(run, dataset), tmp_path)
    new = frame.drop(columns=["label", "kind", "price"]).head(10).assign(comment="=cmd()")
    new.to_csv(folder / "new.csv", index=False)
    run_script(folder, "predict.py", "new.csv", "-o", "out.csv")
    out = pd.read_csv(folder / "out.csv")
    assert out["predicted label"].tolist() == list(run.pipeline.predict(new[dataset.features]))
    assert (out["comment"] == "'=cmd()").all()


def test_model_card_has_the_facts():
    dataset = make_dataset(make_frame(80), "kind")
    run = train(dataset, "random_forest", split=SplitSpec(cv_folds=2), seed=5)
    bundle = build_bundle(run, dataset)
    card = json.loads(bundle.files["model_card.json"])
    assert card["dataset"] == {
        "name": "table.csv",
        "source": "upload: table.csv",
        "content_hash": dataset.content_hash,
        "rows": 80,
        "columns": 5,
        "origin": None,
    }
    assert {c["name"]: c["dtype"] for c in card["schema"]}["flag"] == "bool"
    assert card["target"] == "kind" and card["classes"] == ["high", "low", "mid"]
    assert card["preprocessing"]["spec"]["numeric"]["impute"] == "median" and card["preprocessing"]["steps"]
    assert card["model"]["params"]["n_estimators"] == 20 and card["seed"] == 5
    assert card["split"]["spec"]["cv_folds"] == 2 and "seed 5" in card["split"]["description"]
    assert card["metrics"]["cv_mean"]["accuracy"] == run.cv_mean["accuracy"]
    assert card["versions"]["scikit-learn"] and card["created"]
    assert card["intended_use"] == "" and card["limitations"] == ""
    text = bundle.text("model_card.md")
    assert "## Intended use" in text and "## Limitations" in text and "| accuracy |" in text
    requirements = bundle.text("requirements.txt")
    assert "scikit-learn==" in requirements and "xgboost" not in requirements
    assert "xgboost==" in build_bundle(train(dataset, "xgboost"), dataset).text("requirements.txt")


def test_onnx_where_supported_and_a_note_where_not():
    dataset = make_dataset(make_frame(100), "label")
    run = train(dataset, "logistic_regression")
    bundle = build_bundle(run, dataset)
    assert bundle.card["onnx"]["included"], bundle.card["onnx"]
    import onnxruntime as ort

    rows = dataset.frame.loc[run.holdout_index, dataset.features]
    session = ort.InferenceSession(bundle.files["model.onnx"], providers=["CPUExecutionProvider"])
    labels, proba = session.run(None, onnx_feed(schema_from_run(run, dataset), rows))
    assert list(labels) == list(run.y_pred)
    np.testing.assert_allclose(proba, run.proba, atol=1e-4)
    other = build_bundle(train(dataset, "xgboost"), dataset)
    assert "model.onnx" not in other.files and "XGBoost" in other.card["onnx"]["note"]


def test_import_reads_only_the_skops_file_and_predicts_the_same():
    dataset = make_dataset(make_frame(80, dates=True), "kind")
    run = train(dataset, "xgboost", prep=PrepSpec(numeric=NumericPrep(clip="iqr")))
    bundle = build_bundle(run, dataset)
    predictor = load_model_file(bundle.zip_bytes(), bundle.filename)
    assert isinstance(predictor.pipeline, SandboxedModel)  # the model runs in its worker process
    rows = dataset.frame.loc[run.holdout_index, dataset.features]
    assert list(predictor.pipeline.predict(rows)) == list(run.y_pred)
    np.testing.assert_array_equal(predictor.pipeline.predict_proba(rows), run.proba)
    assert predictor.schema == schema_from_run(run, dataset) and predictor.run_id == run.id
    bare = load_model_file(bundle.files["model.skops"], "model.skops")  # a .skops file on its own
    assert list(bare.pipeline.predict(rows)) == list(run.y_pred)
    assert bare.schema.names == dataset.features


class Unknown(TransformerMixin, BaseEstimator):
    """A type on no allow-list."""

    def fit(self, X, y=None):
        return self

    def transform(self, X):
        return X


def test_skops_allow_list_refuses_an_unknown_type():
    pipeline = Pipeline([("odd", Unknown()), ("scale", StandardScaler())]).fit(np.arange(6.0).reshape(3, 2))
    assert f"{__name__}.Unknown" not in TRUSTED_TYPES
    with pytest.raises(UntrustedModelError, match="Unknown"):
        load_model_file(skops_bytes(pipeline), "model.skops")


@pytest.mark.parametrize(
    ("key", "field"), [("decision_tree", "left_child"), ("hist_gradient_boosting", "left")]
)
def test_a_tree_pointing_outside_itself_is_refused(key, field):
    """skops trusts the types; the node indices inside are checked before the model is ever used."""
    dataset = make_dataset(make_frame(60), "label")
    data = skops_bytes(train(dataset, key).pipeline)
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    tampered = False
    with zipfile.ZipFile(out, "w") as target:
        for name in source.namelist():
            content = source.read(name)
            if name.endswith(".npy"):
                array = np.load(io.BytesIO(content), allow_pickle=False)
                if array.dtype.names and field in array.dtype.names and not tampered:
                    array = array.copy()
                    array[field][np.flatnonzero(array[field] > 0)[0]] = 10**6
                    buffer = io.BytesIO()
                    np.save(buffer, array, allow_pickle=False)
                    content, tampered = buffer.getvalue(), True
            target.writestr(name, content)
    assert tampered
    with pytest.raises(UntrustedModelError, match="point outside it"):
        load_model_file(out.getvalue(), "model.skops")


class _Touch:
    """Unpickling this creates a file: the proof that a pickle ran code."""

    def __init__(self, path: str) -> None:
        self.path = path

    def __reduce__(self):
        return (open, (self.path, "w"))


def test_a_malicious_pickle_is_never_loaded(tmp_path):
    marker = tmp_path / "pwned.txt"
    payload = pickle.dumps(_Touch(str(marker)))
    for name in ("model.pkl", "model.joblib", "model.skops", "model.zip", "innocent.bin"):
        with pytest.raises(UnsafeModelFileError, match="runs whatever code"):
            load_model_file(payload, name)
    # a bundle whose model.joblib is the payload: only model.skops is ever read
    dataset = make_dataset(make_frame(60), "label")
    bundle = build_bundle(train(dataset, "decision_tree"), dataset)
    files = {**bundle.files, "model.joblib": payload}
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as zipped:
        for name, data in files.items():
            zipped.writestr(name, data)
    load_model_file(archive.getvalue(), "bundle.zip")
    # the same pickle named model.skops inside a zip is not a skops file: refused
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as zipped:
        zipped.writestr("model.skops", payload)
    with pytest.raises(BundleError):
        load_model_file(archive.getvalue(), "bundle.zip")
    assert not marker.exists()
    pickle.loads(payload).close()  # the control: unpickling it for real does create the file
    assert marker.exists()
