"""`python -m mlcore profile`: the overview and alerts the app shows, as text, JSON, or the full report."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from mlcore.cli import main
from mlcore.data.loading import load_path
from mlcore.explore import profile_report
from mlcore.explore.profile_report import (
    ProfileCache,
    ProfileResult,
    ProfileSettings,
    cache_key,
    plan_profile,
)


@pytest.fixture
def csv(tmp_path):
    rng = np.random.default_rng(0)
    n = 120
    label = rng.choice(["cat", "dog"], n)
    frame = pd.DataFrame(
        {
            "weight": np.where(rng.random(n) < 0.1, np.nan, rng.normal(10, 2, n)),
            "answer": label,  # a copy of the target: leakage
            "label": label,
        }
    )
    path = tmp_path / "pets.csv"
    frame.to_csv(path, index=False)
    return path


def test_json_has_overview_alerts_and_target_view(csv, capsys):
    assert main(["profile", str(csv), "--target", "label", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    columns = {c["name"]: c for c in report["overview"]["columns"]}
    weight = pd.read_csv(csv)["weight"]
    assert columns["weight"]["missing"] == weight.isna().sum()
    assert columns["weight"]["numeric"]["mean"] == pytest.approx(weight.mean())
    kinds = {(a["kind"], a["column"]) for a in report["alerts"]}
    assert ("target leakage", "answer") in kinds and ("missing values", "weight") in kinds
    assert report["target_view"]["features"][0]["feature"] == "answer"


def test_text_output_lists_alerts_with_their_fixes(csv, capsys):
    assert main(["profile", str(csv), "--target", "label"]) == 0
    out = capsys.readouterr().out
    assert "pets.csv: 120 rows × 3 columns" in out
    assert "[warning] Suspected target leakage: 'answer'" in out
    assert "fix: Check how this column is produced" in out
    assert "Features by relation to the target 'label' (classification)" in out


def test_without_a_target_there_is_no_target_view(tmp_path, capsys):
    path = tmp_path / "plain.csv"
    pd.DataFrame({"a": [1, 2, 2, 3], "b": ["x", "y", "y", "z"]}).to_csv(path, index=False)
    assert main(["profile", str(path), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["target_view"] is None
    assert [a["kind"] for a in report["alerts"]] == ["duplicate rows"]


def test_html_report_is_written(csv, tmp_path, capsys, monkeypatch):
    # The worker itself is tested in test_profile_report; here a cached report stands in for it.
    settings = ProfileSettings(max_rows=50, minimal_above_columns=0)
    dataset = load_path(csv)
    cache = ProfileCache()
    result = ProfileResult("<html>pets report</html>", plan_profile(120, 3, settings), 2.0)
    cache.put(cache_key(dataset, settings), result)
    monkeypatch.setattr(profile_report, "CACHE", cache)
    out = tmp_path / "report.html"
    args = ["profile", str(csv), "--html", str(out), "--max-rows", "50", "--minimal-above-columns", "0"]
    assert main(args) == 0
    assert out.read_text(encoding="utf-8") == "<html>pets report</html>"
    streams = capsys.readouterr()
    assert "uniform random sample of 50 of the 120 rows" in streams.err
    assert f"wrote {out}" in streams.out


def test_bad_input_exits_non_zero_with_a_plain_message(tmp_path, capsys):
    assert main(["profile", str(tmp_path / "missing.csv")]) == 2
    assert capsys.readouterr().err.startswith("error: There is no file")


def test_impossible_report_settings_are_refused(csv, capsys):
    assert main(["profile", str(csv), "--html", "x.html", "--max-rows", "0"]) == 2
    assert "at least one row" in capsys.readouterr().err
