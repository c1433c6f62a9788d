"""Synthetic datasets for teaching: shapes a student can see, with noise and size they control."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from enum import StrEnum

import numpy as np
import pandas as pd
from sklearn import datasets as skdata

from mlcore.dataset import Dataset, build_dataset, hash_frame
from mlcore.errors import SchemaError
from mlcore.formatting import number


class Shape(StrEnum):
    """The generators on offer."""

    MOONS = "moons"
    CIRCLES = "circles"
    BLOBS = "blobs"
    LINEAR = "linearly separable"
    REGRESSION = "noisy regression"


DESCRIPTIONS = {
    Shape.MOONS: "Two interleaving half-moons: no straight line separates them, so linear models struggle.",
    Shape.CIRCLES: "One ring of points inside another: a classic case for non-linear models.",
    Shape.BLOBS: "Round clouds of points, one per class; more noise makes the clouds overlap.",
    Shape.LINEAR: "Classes that a straight line (or plane) separates; noise flips some labels.",
    Shape.REGRESSION: "A linear relation between the features and a number, plus Gaussian noise.",
}

# Which knobs each shape uses, so the page shows only controls that change something.
KNOBS = {
    Shape.MOONS: ("n_samples", "noise", "seed"),
    Shape.CIRCLES: ("n_samples", "noise", "seed"),
    Shape.BLOBS: ("n_samples", "noise", "n_classes", "n_features", "seed"),
    Shape.LINEAR: ("n_samples", "noise", "n_classes", "n_features", "seed"),
    Shape.REGRESSION: ("n_samples", "noise", "n_features", "seed"),
}


@dataclass(frozen=True)
class Knob:
    """One control of the generators: its label, range, step and default (the page draws it from this)."""

    label: str
    low: float
    high: float
    default: float
    step: float = 1

    def check(self, value: float) -> None:
        if not self.low <= value <= self.high:
            raise SchemaError(
                f"{self.label} must be between {number(self.low)} and {number(self.high)}; "
                f"got {number(value)}.",
                "Pick a value in that range.",
            )


KNOB_BOUNDS: dict[str, Knob] = {
    "n_samples": Knob("Samples", 10, 1_000_000, 500, 100),
    "noise": Knob("Noise", 0.0, 1.0, 0.2, 0.05),
    "n_classes": Knob("Classes", 2, 10, 3),
    "n_features": Knob("Features", 1, 50, 2),
    "seed": Knob("Seed", 0, 2**31 - 1, 0),
}


@dataclass(frozen=True)
class GeneratorSpec:
    """The knobs of a generator; the same spec always gives the same table (defaults: `KNOB_BOUNDS`)."""

    shape: Shape = Shape.MOONS
    n_samples: int = int(KNOB_BOUNDS["n_samples"].default)
    noise: float = KNOB_BOUNDS["noise"].default
    n_classes: int = int(KNOB_BOUNDS["n_classes"].default)
    n_features: int = int(KNOB_BOUNDS["n_features"].default)
    seed: int = int(KNOB_BOUNDS["seed"].default)

    def validate(self) -> None:
        for name, knob in KNOB_BOUNDS.items():
            knob.check(getattr(self, name))


def generate(spec: GeneratorSpec) -> Dataset:
    """Make the table described by `spec` as a Dataset with its target set."""
    spec.validate()
    frame = _make_frame(spec)
    params = ", ".join(f"{k}={v}" for k, v in asdict(spec).items() if k in KNOBS[spec.shape])
    return build_dataset(
        frame,
        name=f"{spec.shape.value} ({spec.n_samples} rows)",
        source=f"generator: {spec.shape.value}({params})",
        content_hash=hash_frame(frame),
        target="target",
        description=DESCRIPTIONS[spec.shape],
    )


def _make_frame(spec: GeneratorSpec) -> pd.DataFrame:
    n, noise, seed = spec.n_samples, spec.noise, spec.seed
    if spec.shape is Shape.MOONS:
        X, y = skdata.make_moons(n_samples=n, noise=noise, random_state=seed)
    elif spec.shape is Shape.CIRCLES:
        X, y = skdata.make_circles(n_samples=n, noise=noise, factor=0.5, random_state=seed)
    elif spec.shape is Shape.BLOBS:
        X, y = skdata.make_blobs(
            n_samples=n,
            centers=spec.n_classes,
            n_features=spec.n_features,
            cluster_std=1.0 + 5 * noise,
            random_state=seed,
        )
    elif spec.shape is Shape.LINEAR:
        X, y = skdata.make_classification(
            n_samples=n,
            n_features=max(spec.n_features, 2),
            n_informative=max(spec.n_features, 2),
            n_redundant=0,
            n_clusters_per_class=1,
            n_classes=min(spec.n_classes, 2 ** max(spec.n_features, 2)),
            class_sep=2.0,
            flip_y=min(noise, 1.0) / 2,
            random_state=seed,
        )
    else:
        X, y = skdata.make_regression(
            n_samples=n,
            n_features=spec.n_features,
            n_informative=spec.n_features,
            noise=noise * 100,
            random_state=seed,
        )
    frame = pd.DataFrame(X, columns=[f"x{i + 1}" for i in range(X.shape[1])])
    frame["target"] = y if spec.shape is Shape.REGRESSION else np.asarray(y, dtype=int)
    return frame
