"""`python -m mlcore info`: the same schema as the app, JSON on request, non-zero exit on bad input."""

from __future__ import annotations

import json
import subprocess
import sys

from mlcore.cli import main
from mlcore.data.loading import load_path


def test_info_json_matches_the_loader(bad_dir, capsys):
    path = bad_dir / "mixed_types.csv"
    assert main(["info", str(path), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    dataset = load_path(path)
    assert (report["rows"], report["columns"]) == (5, 3)
    assert report["target"] == "target" and report["task"] == "classification"
    assert report["content_hash"] == dataset.content_hash
    assert [c["type"] for c in report["schema"]] == ["numeric", "numeric", "numeric"]
    assert report["schema"][0]["missing"] == 1


def test_info_table_and_overrides(bad_dir, capsys):
    assert main(["info", str(bad_dir / "inf_values.csv"), "--target", "a", "--task", "regression"]) == 0
    out = capsys.readouterr().out
    assert "target: a   task: regression" in out
    assert "2 infinite value(s)" in out


def test_bad_input_exits_non_zero_with_the_plain_message(bad_dir):
    result = subprocess.run(
        [sys.executable, "-m", "mlcore", "info", str(bad_dir / "png_renamed.csv")],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 2
    assert result.stderr.splitlines() == [
        "error: This file is a PNG image, not a table.",
        "hint: Upload a CSV, TSV, Excel, Parquet or JSON file.",
    ]
    assert "Traceback" not in result.stderr


def test_bad_target_exits_non_zero(bad_dir, capsys):
    assert main(["info", str(bad_dir / "single_class_target.csv"), "--target", "target"]) == 2
    assert "only one class" in capsys.readouterr().err


def test_missing_file_exits_non_zero(tmp_path, capsys):
    assert main(["info", str(tmp_path / "nope.csv")]) == 2
    assert "There is no file" in capsys.readouterr().err
