"""`mlcore monitor` (issue 15): exit code 0 when nothing drifted, 1 when something did, 2 on bad input;
the JSON holds the same verdicts as the library, and the HTML report opens offline."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from monitor_helpers import NAME, register_toy, rows

from mlcore.cli import main
from mlcore.monitor.batches import batch_from_path
from mlcore.monitor.check import run_check
from mlcore.monitor.subject import watched
from mlcore.monitor.timeline import checks


@pytest.fixture(scope="module")
def home(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("home")
    register_toy(folder)
    return folder


@pytest.fixture
def files(tmp_path) -> dict[str, Path]:
    out = {"calm": rows(300, 11), "moved": rows(300, 12, drifted=True)}
    for name, frame in out.items():
        frame.to_csv(tmp_path / f"{name}.csv", index=False)
    return {name: tmp_path / f"{name}.csv" for name in out}


def test_nothing_drifted_exits_0_and_drift_exits_1_with_the_library_s_verdicts(
    home, files, monkeypatch, capsys
):
    monkeypatch.setenv("MLCORE_HOME", str(home))
    assert main(["monitor", f"{NAME}@champion", str(files["calm"]), "--json", "--no-keep"]) == 0
    calm = json.loads(capsys.readouterr().out)
    assert calm["drifted"] is False and calm["decay"]["beyond_noise"] is False
    assert main(["monitor", f"{NAME}@champion", str(files["moved"]), "--json", "--no-keep"]) == 1
    moved = json.loads(capsys.readouterr().out)
    model = watched(f"{NAME}@champion", home)
    expected = run_check(model, batch_from_path(model, files["moved"]), keep=False)
    assert moved["drifted"] is True and moved["sentence"] == expected.sentence
    got = {f["name"]: (f["drifted"], f["p_value"]) for f in moved["drift"]["features"]}
    assert got == {f.name: (f.drifted, pytest.approx(f.p_value)) for f in expected.drift.features}
    assert moved["decay"]["current"]["estimate"] == pytest.approx(expected.decay.current.estimate)


def test_the_report_is_written_and_the_check_joins_the_timeline(home, files, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("MLCORE_HOME", str(home))
    report = tmp_path / "june.html"
    model = watched(f"{NAME}@champion", home)
    before = len(checks(model))
    assert main(["monitor", f"{NAME}/1", str(files["moved"]), "--report", str(report)]) == 1
    out = capsys.readouterr().out
    assert out.startswith(f"{NAME} version 1 against moved.csv: DRIFT") and "x1" in out
    page = report.read_text()
    assert (
        "<h1>Monitoring toy version 1</h1>" in page
        and "Plotly" in page
        and "https://" not in page.split("<body>")[1]
    )
    after = checks(model)
    assert len(after) == before + 1 and after[-1]["batch"] == "moved.csv" and after[-1]["drifted"]


def test_bad_input_exits_2_with_a_plain_message(home, files, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("MLCORE_HOME", str(home))
    short = tmp_path / "short.csv"
    rows(40, 13).drop(columns=["x2"]).to_csv(short, index=False)
    empty = tmp_path / "empty.csv"
    empty.write_text("x1,x2,colour,label\n")
    cases = [
        (["monitor", f"{NAME}@champion", str(short)], "lacks 1 column(s) the model was trained on: 'x2'"),
        (["monitor", f"{NAME}@champion", str(empty)], "no rows"),
        (["monitor", "nobody@champion", str(files["calm"])], "no model nobody@champion"),
        (["monitor", f"{NAME}@champion"], "Give the new rows as a file"),
        (["monitor", f"{NAME}@champion", str(tmp_path / "absent.csv")], "There is no file"),
    ]
    for argv, message in cases:
        assert main(argv) == 2, argv
        err = capsys.readouterr().err
        assert err.startswith("error: ") and message in err and "Traceback" not in err, (argv, err)
