"""`python -m mlcore export` and `python -m mlcore predict`, in-process through the CLI's main()."""

from __future__ import annotations

import json
import pickle
import subprocess
import sys
import zipfile
from pathlib import Path

import pandas as pd
import pytest
from model_helpers import make_frame
from test_hardening_models import RAW_TEXT, ROOT_TO_ITSELF, flip_booster_bytes, tamper_nodes, with_booster
from threadpoolctl import threadpool_limits

from mlcore.cli import main
from mlcore.data.loading import load_path
from mlcore.dataset import set_target
from mlcore.deploy.card import run_metrics
from mlcore.train.fit import train_model
from mlcore.train.runs import ModelChoice, TrainRequest

ROOT = Path(__file__).resolve().parents[2]


def _data(tmp_path):
    frame = make_frame(90).drop(columns=["kind", "price"])
    path = tmp_path / "people.csv"
    frame.to_csv(path, index=False)
    return frame, path


def test_export_trains_one_model_and_writes_the_bundle(tmp_path, capsys):
    _, path = _data(tmp_path)
    out = tmp_path / "bundle.zip"
    code = main(
        ["export", str(path), "--target", "label", "--model", "decision_tree", "--seed", "4", "-o", str(out)]
    )
    assert code == 0, capsys.readouterr().err
    names = set(zipfile.ZipFile(out).namelist())
    assert {
        "model.joblib",
        "model.skops",
        "model_card.json",
        "model_card.md",
        "train.py",
        "predict.py",
    } <= names
    card = json.loads(zipfile.ZipFile(out).read("model_card.json"))
    assert card["model"]["key"] == "decision_tree" and card["seed"] == 4 and card["target"] == "label"
    # the bundle holds the run the app would make with the default preprocessing
    dataset = set_target(load_path(path), "label")
    request = TrainRequest(dataset, models=(ModelChoice("decision_tree"),), seed=4)
    with threadpool_limits(1):
        run = train_model(request, request.models[0])
    assert card["metrics"] == run_metrics(run) and card["run_id"] == run.id


def test_predict_with_a_bundle_or_its_skops_file(tmp_path, capsys):
    frame, path = _data(tmp_path)
    bundle = tmp_path / "bundle.zip"
    assert (
        main(["export", str(path), "--target", "label", "--model", "logistic_regression", "-o", str(bundle)])
        == 0
    )
    new = tmp_path / "new.csv"
    frame.drop(columns=["label"]).head(12).assign(note="=danger").to_csv(new, index=False)
    out = tmp_path / "out.csv"
    assert main(["predict", str(bundle), str(new), "-o", str(out)]) == 0
    first = pd.read_csv(out)
    assert len(first) == 12 and {"predicted label", "probability no", "probability yes"} <= set(first.columns)
    assert (first["note"] == "'=danger").all()  # formula cells escaped
    assert "not use were ignored" in capsys.readouterr().err  # the extra 'note' column
    skops = tmp_path / "model.skops"
    skops.write_bytes(zipfile.ZipFile(bundle).read("model.skops"))
    parquet = tmp_path / "out.parquet"
    assert main(["predict", str(skops), str(new), "-o", str(parquet)]) == 0
    second = pd.read_parquet(parquet)  # a bare .skops file does not know the target's name
    assert second["predicted target"].tolist() == first["predicted label"].tolist()


class _Touch:
    def __init__(self, path):
        self.path = path

    def __reduce__(self):
        return (open, (self.path, "w"))


def test_predict_refuses_pickles_and_other_files(tmp_path, capsys):
    _, path = _data(tmp_path)
    marker = tmp_path / "ran.txt"
    for name in ("model.pkl", "model.joblib"):
        evil = tmp_path / name
        evil.write_bytes(pickle.dumps(_Touch(str(marker))))
        assert main(["predict", str(evil), str(path), "-o", str(tmp_path / "out.csv")]) == 2
        assert "runs whatever code it contains" in capsys.readouterr().err
    text = tmp_path / "model.txt"
    text.write_text("hello")
    assert main(["predict", str(text), str(path), "-o", str(tmp_path / "out.csv")]) == 2
    assert "neither a bundle" in capsys.readouterr().err
    assert not marker.exists() and not (tmp_path / "out.csv").exists()


def test_export_refuses_a_name_that_is_not_a_zip(tmp_path, capsys):
    _, path = _data(tmp_path)
    assert (
        main(["export", str(path), "--target", "label", "--model", "knn", "-o", str(tmp_path / "m.pkl")]) == 2
    )
    assert "zip" in capsys.readouterr().err


CRAFTED = {
    "tree root points to itself": (
        "decision_tree",
        lambda data: tamper_nodes(data, "left_child", ROOT_TO_ITSELF),
    ),
    "booster bytes flipped": ("xgboost", flip_booster_bytes),
    "booster splits on feature a million": (
        "xgboost",
        lambda data: with_booster(data, lambda tree: tree["split_indices"].__setitem__(0, 10**6)),
    ),
}


@pytest.mark.timeout(200)
@pytest.mark.parametrize("craft", list(CRAFTED))
def test_predict_with_a_crafted_model_prints_a_plain_error_and_exits_2(tmp_path, craft):
    """As a whole process, the way a user runs it: today these hang, die of SIGSEGV or print raw text."""
    _, path = _data(tmp_path)
    key, tamper = CRAFTED[craft]
    bundle = tmp_path / "bundle.zip"
    assert main(["export", str(path), "--target", "label", "--model", key, "-o", str(bundle)]) == 0
    model = tmp_path / "model.skops"
    model.write_bytes(tamper(zipfile.ZipFile(bundle).read("model.skops")))
    out = tmp_path / "out.csv"
    done = subprocess.run(
        [sys.executable, "-m", "mlcore", "predict", str(model), str(path), "-o", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 2, done.stderr
    lines = done.stderr.strip().splitlines()
    assert lines[0].startswith("error: ") and lines[1].startswith("hint: "), lines
    assert not any(raw in done.stderr for raw in RAW_TEXT)
    assert not out.exists()
