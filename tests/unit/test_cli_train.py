"""`python -m mlcore train`: the app's training code behind a command line, with plain errors."""

from __future__ import annotations

import json

import pytest

from mlcore.cli import main
from mlcore.data.loading import load_path
from mlcore.data.samples import load_sample
from mlcore.dataset import set_target
from mlcore.train.fit import train_model
from mlcore.train.runs import ModelChoice, TrainRequest
from mlcore.train.split import SplitSpec


@pytest.fixture(scope="module")
def penguins_csv(tmp_path_factory):
    path = tmp_path_factory.mktemp("data") / "penguins.csv"
    load_sample("penguins").frame.to_csv(path, index=False)
    return path


def test_json_leaderboard_has_the_numbers_of_the_app_code(penguins_csv, capsys):
    models = "logistic_regression,decision_tree"
    options = ["--cv", "4", "--test-size", "0.25", "--seed", "3", "--json"]
    code = main(["train", str(penguins_csv), "--target", "species", "--models", models, *options])
    assert code == 0
    out = json.loads(capsys.readouterr().out)
    assert [row["status"] for row in out["leaderboard"]] == ["ok", "ok"]
    assert out["split"].startswith("holdout: 25% of rows")
    dataset = set_target(load_path(penguins_csv), "species")
    request = TrainRequest(dataset, split=SplitSpec(test_size=0.25, cv_folds=4), seed=3)
    for run in out["runs"]:
        local = train_model(request, ModelChoice(run["model"]))
        assert run["cv_mean"]["accuracy"] == local.cv_mean["accuracy"]
        assert run["holdout"] == local.holdout and run["id"] == local.id
        assert len(run["fold_scores"]["accuracy"]) == 4


def test_table_output_and_time_budget(penguins_csv, capsys):
    code = main(
        [
            "train",
            str(penguins_csv),
            "--target",
            "species",
            "--models",
            "naive_bayes",
            "--time-budget",
            "60",
            "--cv",
            "3",
        ]
    )
    assert code == 0
    out = capsys.readouterr().out
    assert "Gaussian naive Bayes" in out and "CV accuracy" in out and "1 model(s) in" in out


def test_bad_input_prints_a_message_and_hint(penguins_csv, capsys):
    assert main(["train", str(penguins_csv), "--target", "species", "--models", "magic_forest"]) == 2
    err = capsys.readouterr().err
    assert "no classification model called 'magic_forest'" in err and "hint: Choose one of:" in err
    assert main(["train", str(penguins_csv), "--target", "island", "--task", "regression"]) == 2
    assert "cannot be a regression target" in capsys.readouterr().err
    assert main(["train", str(penguins_csv), "--target", "species", "--cv", "1", "--models", "knn"]) == 2
    assert "between 2 and 20 folds" in capsys.readouterr().err
