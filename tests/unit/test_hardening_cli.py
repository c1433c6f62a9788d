"""Issue 11, items 18 to 20: `mlcore` is an installed command that starts fast, writes strict JSON and
stops quietly when its reader goes away."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
from model_helpers import plain_env

MLCORE = Path(sys.executable).parent / "mlcore"
HEAVY = ("numpy", "pandas", "sklearn", "scipy", "pyarrow", "xgboost", "ydata_profiling", "streamlit")


def _strict(text: str) -> object:
    def refuse(constant: str) -> None:
        raise ValueError(f"{constant} is not JSON")

    return json.loads(text, parse_constant=refuse)


def test_mlcore_is_an_installed_command_that_works_from_any_folder(tmp_path, bad_dir):
    done = subprocess.run(
        [str(MLCORE), "info", str(bad_dir / "mixed_types.csv"), "--json"],
        cwd=tmp_path,  # not the repository root
        env=plain_env(),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert _strict(done.stdout)["rows"] == 5


def test_help_loads_no_heavy_library():
    """`mlcore --help` took 1.7 s because every command imported scikit-learn and pandas up front."""
    code = (
        "import sys\n"
        "from mlcore.cli import build_parser\n"
        "build_parser().format_help()\n"
        f"print(sorted(m for m in {HEAVY!r} if m in sys.modules))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"
    help_text = subprocess.run([str(MLCORE), "--help"], env=plain_env(), capture_output=True, text=True)
    assert help_text.returncode == 0 and help_text.stdout.startswith("usage: mlcore ")
    assert all(
        name in help_text.stdout for name in ("info", "profile", "train", "evaluate", "export", "predict")
    )


def test_profile_loads_no_scikit_learn_for_the_ranking_rule(tmp_path):
    """Issue 12's metric registry imported scikit-learn at its top, and Explore's alerts read the
    imbalance rule from it: `mlcore profile` took 1.2 s longer (10.8× faster than ydata became 5.2×)."""
    path = tmp_path / "t.csv"
    pd.DataFrame({"x": np.arange(40.0), "y": ["a", "b"] * 20}).to_csv(path, index=False)
    code = (
        "import sys\n"
        "from mlcore.cli import main\n"
        f"main(['profile', {str(path)!r}, '--target', 'y', '--json'])\n"
        "print('sklearn' in sys.modules, file=sys.stderr)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert _strict(done.stdout)["target_view"]["target"] == "y" and done.stderr.strip().endswith("False")


def test_info_json_writes_null_not_nan_for_a_count_not_taken(tmp_path):
    path = tmp_path / "floats.csv"
    pd.DataFrame({"x": np.linspace(0, 1, 30), "label": ["a", "b"] * 15}).to_csv(path, index=False)
    done = subprocess.run(
        [str(MLCORE), "info", str(path), "--json"],
        env=plain_env(),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    schema = {c["column"]: c for c in _strict(done.stdout)["schema"]}
    assert schema["x"]["distinct"] is None and schema["label"]["distinct"] == 2


def test_piping_into_a_reader_that_stops_ends_quietly(tmp_path):
    path = tmp_path / "wide.csv"
    pd.DataFrame(np.zeros((3, 1500)), columns=[f"column_{i}" for i in range(1500)]).to_csv(path, index=False)
    process = subprocess.Popen(
        [str(MLCORE), "info", str(path)], env=plain_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    process.stdout.readline()  # `| head -1`: one line, then the reader is gone
    process.stdout.close()
    _, err = process.communicate(timeout=120)
    assert b"Traceback" not in err and b"BrokenPipeError" not in err
    assert process.returncode == 141  # as a shell reports any tool stopped by a closed pipe


def test_the_date_order_can_be_chosen_on_the_command_line(tmp_path, capsys):
    """Item 14: a guessed date order is stated; the CLI, like the Data page, lets the user choose."""
    from mlcore.cli import main

    path = tmp_path / "visits.csv"
    path.write_text("when,amount,label\n05/02/2024,1,a\n06/03/2024,2,b\n07/04/2024,3,a\n")
    assert main(["info", str(path), "--json"]) == 0
    assert any("month first was assumed" in note for note in _strict(capsys.readouterr().out)["notes"])
    assert main(["info", str(path), "--day-first", "--json"]) == 0
    assert any("day first, as you chose" in note for note in _strict(capsys.readouterr().out)["notes"])
