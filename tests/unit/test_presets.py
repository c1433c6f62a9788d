"""Named presets of the stages' budgets (issue 12): one process-wide choice, read by every stage."""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import fields

import numpy as np
import pandas as pd
import pytest
from model_helpers import plain_env

from mlcore import settings
from mlcore.errors import SettingsError
from mlcore.evaluate import budget as evaluate_budget
from mlcore.explain import budget as explain_budget
from mlcore.explore import budget as explore_budget
from mlcore.train import budget as train_budget

STAGES = [explore_budget, train_budget, evaluate_budget, explain_budget]


def _env(preset: str | None) -> dict[str, str]:
    return plain_env() if preset is None else plain_env(**{settings.PRESET_VARIABLE: preset})


@pytest.mark.parametrize("stage", STAGES, ids=lambda m: m.__name__.split(".")[1])
def test_every_stage_names_a_budget_for_each_preset_classroom_lighter_thorough_larger(stage):
    assert set(stage.BUDGETS) == set(settings.PRESETS)
    standard, classroom, thorough = (stage.BUDGETS[name] for name in ("standard", "classroom", "thorough"))
    assert standard == type(standard)()  # the defaults are the standard preset, today's numbers
    for f in fields(standard):
        low, mid, high = (getattr(b, f.name) for b in (classroom, standard, thorough))
        assert low <= mid <= high, f.name
    assert classroom != standard and thorough != standard


def test_the_preset_comes_from_the_environment_and_a_typo_is_a_plain_error(monkeypatch):
    monkeypatch.delenv(settings.PRESET_VARIABLE, raising=False)
    assert settings.preset() == "standard"
    monkeypatch.setenv(settings.PRESET_VARIABLE, " classroom ")
    assert settings.preset() == "classroom"
    assert settings.for_preset({"standard": 1, "classroom": 2, "thorough": 3}) == 2
    monkeypatch.setenv(settings.PRESET_VARIABLE, "fast")
    with pytest.raises(SettingsError, match="'fast', which is not a preset") as raised:
        settings.preset()
    assert "classroom" in raised.value.hint


def test_a_stage_missing_a_preset_is_refused():
    with pytest.raises(ValueError, match="thorough"):
        settings.for_preset({"standard": 1, "classroom": 2})


def test_a_process_under_the_classroom_preset_uses_its_numbers_in_every_stage():
    code = (
        "import json; from mlcore.schema import Task; from mlcore.train.models import get_model; "
        "from mlcore.explain.shap_values import ExplainSettings; import mlcore.explore.plots as p, inspect; "
        "print(json.dumps([get_model(Task.CLASSIFICATION, 'rbf_svm').sample_cap, ExplainSettings().rows, "
        "inspect.signature(p.scatter).parameters['max_points'].default]))"
    )
    seen = {}
    for preset in (None, "classroom"):
        out = subprocess.run([sys.executable, "-c", code], env=_env(preset), capture_output=True, text=True)
        assert out.returncode == 0, out.stderr
        seen[preset] = json.loads(out.stdout)
    standard, classroom = train_budget.BUDGETS["standard"], train_budget.BUDGETS["classroom"]
    explore = explore_budget.BUDGETS
    assert seen[None] == [
        standard.svm_cap,
        explain_budget.BUDGETS["standard"].rows,
        explore["standard"].scatter_points,
    ]
    assert seen["classroom"] == [
        classroom.svm_cap,
        explain_budget.BUDGETS["classroom"].rows,
        explore["classroom"].scatter_points,
    ]


@pytest.fixture(scope="module")
def wide_csv(tmp_path_factory):
    rng = np.random.default_rng(0)
    frame = pd.DataFrame(rng.normal(size=(3_000, 3)), columns=["a", "b", "c"])
    frame["label"] = np.where(frame["a"] + rng.normal(scale=0.5, size=3_000) > 0, "yes", "no")
    path = tmp_path_factory.mktemp("data") / "wide.csv"
    frame.to_csv(path, index=False)
    return path


def test_mlcore_preset_classroom_trains_the_svm_on_the_classroom_cap(wide_csv):
    """2,250 training rows: all of them under `standard` (cap 5,000), a 2,000-row sample under `classroom`."""
    rows = {}
    for flag in ([], ["--preset", "classroom"]):
        command = [sys.executable, "-m", "mlcore", *flag, "train", str(wide_csv), "--target", "label"]
        command += ["--models", "rbf_svm", "--cv", "0", "--test-size", "0.25", "--json"]
        out = subprocess.run(command, env=_env(None), capture_output=True, text=True, timeout=300)
        assert out.returncode == 0, out.stderr
        (run,) = json.loads(out.stdout)["runs"]
        rows[bool(flag)] = (run["n_train_rows"], run["sampled"])
    assert rows[False] == (2_250, False)
    assert rows[True] == (train_budget.BUDGETS["classroom"].svm_cap, True)


def test_a_mistyped_preset_variable_stops_the_command_line_with_a_hint(wide_csv):
    out = subprocess.run(
        [sys.executable, "-m", "mlcore", "info", str(wide_csv)],
        env=_env("big"),
        capture_output=True,
        text=True,
    )
    assert out.returncode == 2 and "Traceback" not in out.stderr
    assert out.stderr.splitlines() == [
        "error: MLCORE_PRESET is 'big', which is not a preset.",
        "hint: Use one of: standard, classroom, thorough (or leave it unset for standard).",
    ]


def test_the_memory_limit_comes_from_the_environment_in_megabytes(monkeypatch):
    monkeypatch.setenv(settings.MEMORY_VARIABLE, "64")
    assert settings.Limits().max_memory_bytes == 64 * 2**20
    monkeypatch.delenv(settings.MEMORY_VARIABLE)
    assert settings.Limits().max_memory_bytes == 2**30
    for typo in ("lots", "8", "-5"):
        monkeypatch.setenv(settings.MEMORY_VARIABLE, typo)
        assert settings.Limits().max_memory_bytes == 2**30  # at import: the default, said below
        with pytest.raises(SettingsError, match=settings.MEMORY_VARIABLE):
            settings.memory_limit_from_env()


def test_a_mistyped_memory_limit_stops_the_command_line_with_a_hint(wide_csv):
    env = plain_env(**{settings.MEMORY_VARIABLE: "lots"})
    out = subprocess.run(
        [sys.executable, "-m", "mlcore", "info", str(wide_csv)], env=env, capture_output=True, text=True
    )
    assert out.returncode == 2 and "Traceback" not in out.stderr
    assert out.stderr.splitlines()[0].startswith("error: MLCORE_MEMORY_LIMIT_MB is 'lots'")
