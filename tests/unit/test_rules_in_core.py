"""Issue 12, item 4: rules the pages once spelled out themselves now live once, in mlcore."""

from __future__ import annotations

import io
import shlex
import zipfile
from dataclasses import replace

import pytest
from model_helpers import make_dataset, make_frame, train

from mlcore.data.generators import KNOB_BOUNDS, GeneratorSpec, generate
from mlcore.deploy.bundle import build_bundle, bundle_code, contents, export_command
from mlcore.errors import SchemaError
from mlcore.evaluate.compare import NOT_COMPARABLE, comparable
from mlcore.evaluate.report import build_report
from mlcore.train.split import SplitSpec


@pytest.fixture(scope="module")
def two_runs():
    dataset = make_dataset(make_frame(120), "label")
    return dataset, train(dataset, "decision_tree", seed=0), train(dataset, "logistic_regression", seed=0)


def test_runs_on_other_rows_are_not_comparable_and_the_report_says_so(two_runs):
    dataset, tree, linear = two_runs
    assert comparable([tree, linear])
    assert NOT_COMPARABLE not in build_report([tree, linear], dataset)
    reseeded = replace(linear, seed=1, id="other")
    assert not comparable([tree, reseeded]) and not comparable([tree, replace(linear, split=SplitSpec(0.3))])
    assert NOT_COMPARABLE in build_report([tree, reseeded], dataset)  # the report warned about nothing before


def test_the_page_lists_what_the_bundle_holds(two_runs):
    dataset, tree, _ = two_runs
    bundle = build_bundle(tree, dataset)
    code = bundle_code(tree, dataset)
    listed = contents(code, onnx="model.onnx" in bundle.files)
    assert list(listed) == list(bundle.files)  # the same files, in the zip's order
    assert list(zipfile.ZipFile(io.BytesIO(bundle.zip_bytes())).namelist()) == list(listed)
    assert bundle.card["files"] == listed


def test_the_export_command_quotes_names_and_says_whether_it_reproduces_the_run(two_runs):
    dataset, tree, _ = two_runs
    command = export_command(tree, "my data.csv")  # `tree` was trained without cross-validation
    assert shlex.split(command.text) == [
        "mlcore", "export", "my data.csv", "--target", "label", "--model", "decision_tree",
        "--seed", "0", "-o", "bundle.zip",
    ]  # fmt: skip
    assert not command.reproduces_run
    defaults = train(dataset, "decision_tree", split=SplitSpec())
    assert export_command(defaults, "x.csv").reproduces_run
    changed = replace(defaults, params={**defaults.params, "max_depth": 2})
    assert not export_command(changed, "x.csv").reproduces_run


def test_a_server_under_the_classroom_preset_gives_the_command_its_preset(two_runs, monkeypatch):
    """The Export page's command left the preset out, so a capped model retrained on other rows."""
    monkeypatch.setenv("MLCORE_PRESET", "classroom")
    words = shlex.split(export_command(two_runs[1], "x.csv").text)
    assert words[:4] == ["mlcore", "--preset", "classroom", "export"]


def test_generator_bounds_are_the_generators_own():
    spec = GeneratorSpec()
    assert spec.n_samples == KNOB_BOUNDS["n_samples"].default and spec.noise == KNOB_BOUNDS["noise"].default
    for name, knob in KNOB_BOUNDS.items():
        generate(replace(spec, **{name: type(knob.default)(knob.high if name != "n_samples" else 50)}))
        with pytest.raises(SchemaError, match=knob.label):
            GeneratorSpec(**{name: type(knob.default)(knob.high + knob.step)}).validate()
