"""Synthetic datasets for teaching: shapes a student can see, with noise and size they control."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from enum import StrEnum

import numpy as np
import pandas as pd
from sklearn import datasets as skdata

from mlcore.dataset import Dataset, build_dataset, hash_frame
from mlcore.errors import SchemaError


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
class GeneratorSpec:
    """The knobs of a generator; the same spec always gives the same table."""

    shape: Shape = Shape.MOONS
    n_samples: int = 500
    noise: float = 0.2
    n_classes: int = 3
    n_features: int = 2
    seed: int = 0

    def validate(self) -> None:
        if not 10 <= self.n_samples <= 1_000_000:
            raise SchemaError("The number of samples must be between 10 and 1,000,000.", "Pick another size.")
        if self.noise < 0:
            raise SchemaError("Noise cannot be negative.", "Use 0 for no noise.")
        if not 2 <= self.n_classes <= 10:
            raise SchemaError("The number of classes must be between 2 and 10.", "Pick another number.")
        if not 1 <= self.n_features <= 50:
            raise SchemaError("The number of features must be between 1 and 50.", "Pick another number.")


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
