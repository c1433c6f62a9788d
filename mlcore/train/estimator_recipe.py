"""How a registry model becomes an estimator: a recipe of plain data, read by one builder.

Models differ only in the estimator class, where their settings go and a few fixed arguments, so those
are data rather than a factory function per model. The class is named by its import path and imported
on the first build: the registry stays cheap to import, and workers rebuild estimators from keys.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any


def _as_is(value: Any) -> Any:
    return value


@dataclass(frozen=True)
class Argument:
    """Where a setting goes when the estimator names or spells it differently."""

    name: str
    convert: Callable[[Any], Any] = _as_is


@dataclass(frozen=True)
class EstimatorRecipe:
    """The estimator class of one model and how its settings, seed and class weights reach it.

    The mappings are left out of the hash, so that a `ModelSpec` holding a recipe stays hashable.
    """

    estimator: str  # import path, e.g. "sklearn.svm.SVC"
    # arguments that are the same in every build
    fixed: Mapping[str, Any] = field(default_factory=dict, hash=False)
    # settings the estimator names or spells differently; the others go to the argument of their name
    arguments: Mapping[str, Argument] = field(default_factory=dict, hash=False)
    seed: str | None = "random_state"  # the argument taking the seed, None for deterministic models
    class_weight: bool = False  # takes class_weight="balanced" when the user balances classes
    # arguments read from the machine at each build (XGBoost's device)
    probed: Mapping[str, Callable[[], Any]] = field(default_factory=dict, hash=False)


def build(recipe: EstimatorRecipe, params: Mapping[str, Any], seed: int, balanced: bool) -> Any:
    """An unfitted estimator from resolved settings; `balanced` is ignored without class weights."""
    arguments = dict(recipe.fixed)
    for name, value in params.items():
        target = recipe.arguments.get(name, Argument(name))
        arguments[target.name] = target.convert(value)
    if recipe.seed is not None:
        arguments[recipe.seed] = seed
    if recipe.class_weight:
        arguments["class_weight"] = "balanced" if balanced else None
    arguments.update({name: probe() for name, probe in recipe.probed.items()})
    return _estimator_class(recipe.estimator)(**arguments)


def _estimator_class(path: str) -> type:
    """The class at a dotted import path, importing its module now."""
    module, _, name = path.rpartition(".")
    return getattr(importlib.import_module(module), name)


def max_features(value: str) -> str | None:
    """The forests' choice "all" is scikit-learn's None."""
    return None if value == "all" else value


def layer_sizes(value: str) -> tuple[int, ...]:
    """The MLP's "64,32" as the tuple of layer widths scikit-learn takes."""
    return tuple(int(v) for v in value.split(","))
