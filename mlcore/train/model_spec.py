"""One model of the registry: what the pages show about it, its settings, and its estimator recipe."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from mlcore.schema import Task
from mlcore.train.errors import ParamError
from mlcore.train.estimator_recipe import EstimatorRecipe, build
from mlcore.train.hyperparams import HyperParam


@dataclass(frozen=True)
class ModelSpec:
    """A model of the registry and how to build it from parameter values and a seed."""

    key: str
    name: str
    task: Task
    recipe: EstimatorRecipe
    params: tuple[HyperParam, ...]
    description: str
    sample_cap: int | None = None  # rows a model whose cost grows faster than the rows trains on by default
    sparse_ok: bool = True  # accepts sparse input (else the pipeline densifies)
    relative_cost: float = 1.0  # rough training cost, to start the slowest models first
    in_default: bool = True

    @property
    def class_weight(self) -> bool:
        """Whether the model honours class weights ("balanced"); its recipe knows."""
        return self.recipe.class_weight

    def defaults(self) -> dict[str, Any]:
        return {p.name: p.default for p in self.params}

    def param(self, name: str) -> HyperParam:
        for p in self.params:
            if p.name == name:
                return p
        raise ParamError(f"{self.name} has no setting called '{name}'.", self._names_hint())

    def resolve(self, params: dict[str, Any] | None = None) -> dict[str, Any]:
        """Defaults overridden by `params`, each value checked against its range."""
        values = self.defaults()
        for name, value in (params or {}).items():
            values[name] = self.param(name).coerce(value)
        return values

    def build(self, params: dict[str, Any] | None = None, seed: int = 0, balanced: bool = False) -> Any:
        """An unfitted estimator with these settings."""
        return build(self.recipe, self.resolve(params), seed, balanced)

    def _names_hint(self) -> str:
        return "Its settings are: " + ", ".join(p.name for p in self.params) + "."
