"""`mlcore train --project`, `projects`, `runs` and `register` (issue 13): the CLI works in the store
the app reads."""

from __future__ import annotations

import json

import mlflow
import numpy as np
import pytest

from mlcore.cli import main
from mlcore.data.samples import load_sample
from mlcore.track.projects import ProjectStore

MODELS = "logistic_regression,decision_tree"


@pytest.fixture
def home(tmp_path, monkeypatch):
    monkeypatch.setenv("MLCORE_HOME", str(tmp_path / "home"))
    return tmp_path / "home"


@pytest.fixture(scope="module")
def penguins_csv(tmp_path_factory):
    path = tmp_path_factory.mktemp("data") / "penguins.csv"
    load_sample("penguins").frame.to_csv(path, index=False)
    return path


def _json(capsys) -> object:
    return json.loads(capsys.readouterr().out)


def test_train_into_a_project_then_list_register_and_load_with_mlflow(
    home, penguins_csv, capsys, monkeypatch
):
    monkeypatch.setenv("MLCORE_TRACKING", "on")
    args = ["train", str(penguins_csv), "--target", "species", "--models", MODELS, "--json"]
    assert main([*args, "--project", "lesson"]) == 0
    trained = _json(capsys)
    assert trained["project"]["name"] == "lesson"

    assert main(["runs", "list", "--project", "lesson", "--json"]) == 0
    runs = _json(capsys)
    assert sorted(r["run"] for r in runs) == sorted(r["id"] for r in trained["runs"])
    assert all(len(r["mlflow run"]) == 32 for r in runs)

    best = max(trained["runs"], key=lambda r: r["cv_mean"]["accuracy"])
    assert main(["register", best["id"], "--name", "penguins", "--alias", "champion", "--json"]) == 0
    version = _json(capsys)
    assert version["version"] == "1" and version["aliases"] == ["champion"]

    mlflow.set_tracking_uri(f"sqlite:///{home / 'mlflow.db'}")
    try:
        model = mlflow.sklearn.load_model("models:/penguins@champion")
    finally:
        mlflow.set_tracking_uri("")
    dataset = load_sample("penguins")
    (run,) = [r for r in ProjectStore(home).load(trained["project"]["id"]).runs if r.id == best["id"]]
    X = dataset.frame[list(run.pipeline.feature_names_in_)]
    np.testing.assert_array_equal(model.predict(X), run.pipeline.predict(X))

    # Training the same file again adds to the project; another file is refused.
    assert main([*args, "--project", "lesson", "--seed", "1"]) == 0
    assert len(ProjectStore(home).find("lesson").runs) == 4
    capsys.readouterr()
    other = penguins_csv.with_name("iris.csv")
    load_sample("iris").frame.to_csv(other, index=False)
    code = main(
        ["train", str(other), "--target", "species", "--models", "decision_tree", "--project", "lesson"]
    )
    assert code == 2
    assert "holds another dataset" in capsys.readouterr().err


def test_projects_show_export_import_and_delete(home, penguins_csv, tmp_path, capsys):
    args = ["train", str(penguins_csv), "--target", "species", "--models", MODELS, "--project", "p1"]
    assert main(args) == 0
    capsys.readouterr()
    assert main(["projects", "list", "--json"]) == 0
    (listed,) = _json(capsys)
    assert listed["project"] == "p1" and listed["runs"] == 2 and listed["rows × columns"] == "344 × 8"

    assert main(["projects", "show", "p1", "--json"]) == 0
    shown = _json(capsys)
    assert shown["target"] == "species" and len(shown["runs"]) == 2

    out = tmp_path / "p1.mlproject"
    assert main(["projects", "export", "p1", "-o", str(out)]) == 0
    assert main(["projects", "import", str(out), "--name", "copy"]) == 0
    assert "imported 'copy'" in capsys.readouterr().out
    assert {p.name for p in ProjectStore(home).list()} == {"p1", "copy"}

    assert main(["projects", "delete", "p1"]) == 2  # no terminal to confirm on
    assert "--yes" in capsys.readouterr().err
    assert main(["projects", "delete", "p1", "--yes"]) == 0
    assert [p.name for p in ProjectStore(home).list()] == ["copy"]
    assert main(["projects", "show", "p1"]) == 2
    assert "no project 'p1'" in capsys.readouterr().err


def test_importing_a_file_that_is_not_a_project_is_a_plain_error(home, tmp_path, capsys):
    bad = tmp_path / "notes.mlproject"
    bad.write_bytes(b"just some text")
    assert main(["projects", "import", str(bad)]) == 2
    err = capsys.readouterr().err
    assert "not a project file" in err and "Traceback" not in err
    assert ProjectStore(home).list() == []
