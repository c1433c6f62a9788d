"""What a model costs to train: time estimates for super-linear models and the warning they give.

A model whose time grows faster than the rows trains on a random sample by default (its cap comes from
`mlcore.train.budget`), and the page warns with an estimate of what all rows would take, so that
"compare all" on a large table stays usable.
"""

from __future__ import annotations

from dataclasses import dataclass

from mlcore.formatting import rough_duration
from mlcore.train.model_spec import ModelSpec

# Seconds of one fit = unit × rows^exponent × features, fitted to timings on one core of the
# reference machine (2 shared cores) at 13k and 64k rows with default settings.
_COST = {
    "rbf_svm": (1.5e-9, 2.0),
    "svr": (1.5e-9, 2.0),
    "knn": (1.5e-10, 2.0),
    "random_forest": (6.5e-7, 1.27),
    "extra_trees": (1.6e-6, 1.11),
    "decision_tree": (7e-8, 1.31),
}


@dataclass(frozen=True)
class CostWarning:
    """A super-linear model on large data: its estimated time on all rows and its default sample."""

    model_key: str
    n_rows: int
    cap: int
    estimated_seconds: float
    capped_seconds: float
    message: str


def estimate_seconds(spec: ModelSpec, n_rows: int, n_features: int, folds: int = 5) -> float:
    """A rough estimate of cross-validation plus the final fit on `n_rows` training rows."""
    unit, exponent = _COST.get(spec.key, (0.0, 1.0))
    fit_rows = n_rows * (folds - 1) / folds if folds > 1 else n_rows
    per_fit = unit * fit_rows**exponent * max(n_features, 1)
    return per_fit * (folds + 1)


def cost_warning(spec: ModelSpec, n_rows: int, n_features: int, folds: int = 5) -> CostWarning | None:
    """A warning when a model's time grows faster than the rows and the data exceeds its sample cap."""
    if spec.sample_cap is None or n_rows <= spec.sample_cap:
        return None
    full = estimate_seconds(spec, n_rows, n_features, folds)
    capped = estimate_seconds(spec, spec.sample_cap, n_features, folds)
    message = (
        f"{spec.name} takes time that grows faster than the number of rows: on all {n_rows:,} rows it "
        f"would take {rough_duration(full)}. By default it trains on a random sample of "
        f"{spec.sample_cap:,} rows ({rough_duration(capped)}); you can lift the cap."
    )
    return CostWarning(spec.key, n_rows, spec.sample_cap, full, capped, message)
