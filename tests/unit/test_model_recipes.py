"""Every registry model builds the very estimator it built before its factory became a recipe.

The snapshot in tests/data/model_params_snapshot.json was written by `current_builds()` from the
hand-written factories; a difference in any class or `get_params()` value would change numbers.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from mlcore.schema import Task
from mlcore.train import models
from mlcore.train.models import HyperParam, ModelSpec, models_for

SNAPSHOT = Path(__file__).parents[1] / "data" / "model_params_snapshot.json"
SEED = 7  # not the default 0, so a seed that does not reach the estimator shows


def _off_default(param: HyperParam) -> Any:
    """A valid value other than the default, so a setting that does not reach the estimator shows.

    Of the choices it takes the last, which holds the values needing translation ("all", "100,50").
    """
    if param.kind == "bool":
        return not param.default
    if param.kind == "choice":
        return [c for c in param.choices if c != param.default][-1]
    return param.coerce(param.low if param.default == param.high else param.high)


def _built(spec: ModelSpec, params: dict[str, Any], balanced: bool) -> dict[str, Any]:
    """The estimator's class and settings, as `repr`s so that tuples, None and NaN compare exactly."""
    estimator = spec.build(params, SEED, balanced)
    kind = type(estimator)
    settings = {name: repr(value) for name, value in estimator.get_params(deep=False).items()}
    return {"type": f"{kind.__module__}.{kind.__qualname__}", "params": settings}


def _variants(spec: ModelSpec) -> dict[str, dict[str, Any]]:
    tuned = {p.name: _off_default(p) for p in spec.params}
    return {
        "defaults": _built(spec, {}, balanced=False),
        "balanced": _built(spec, {}, balanced=True),
        "tuned": _built(spec, tuned, balanced=False),
    }


def current_builds() -> dict[str, dict[str, Any]]:
    """What every model of both tasks builds today, keyed by task and model."""
    return {f"{spec.task.value}/{spec.key}": _variants(spec) for task in Task for spec in models_for(task)}


@pytest.fixture(autouse=True)
def _cpu_xgboost(monkeypatch):
    """The snapshot was taken without a GPU; the device probe must not make it machine-dependent."""
    monkeypatch.setenv("MLCORE_XGBOOST_DEVICE", "cpu")
    models.xgboost_device.cache_clear()
    yield
    models.xgboost_device.cache_clear()


def test_the_snapshot_covers_every_model():
    assert sorted(json.loads(SNAPSHOT.read_text())) == sorted(current_builds())


@pytest.mark.parametrize(
    "spec", [spec for task in Task for spec in models_for(task)], ids=lambda s: f"{s.task.value}/{s.key}"
)
def test_every_model_builds_the_same_estimator_as_before(spec):
    expected = json.loads(SNAPSHOT.read_text())[f"{spec.task.value}/{spec.key}"]
    assert _variants(spec) == expected
