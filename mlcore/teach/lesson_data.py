"""The datasets a lesson step loads: a sample, a generated shape, a rare class, or a leaky feature.

A `DataSpec` names the table; `lesson_dataset` builds it, and the same spec always gives the same
table (same rows, same `content_hash`). `check_spec` validates a spec without building anything, so a
lesson file is refused when it is read rather than when a student opens the step.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.datasets import make_classification

from mlcore.data.generators import GeneratorSpec, Shape, generate
from mlcore.data.samples import SAMPLES, load_sample
from mlcore.dataset import Dataset, build_dataset, hash_frame
from mlcore.errors import MLCoreError
from mlcore.teach.errors import TeachError

KINDS = ("sample", "generate", "imbalanced", "leaky")
SHAPES = tuple(s.value for s in Shape)
LEAKY_SHAPES = tuple(s.value for s in Shape if s is not Shape.REGRESSION)  # the leak copies a class
MIN_ROWS, MAX_ROWS = 50, 100_000
MIN_MINORITY, MAX_MINORITY = 0.01, 0.5
LEAK_COLUMN = "checked_by_hand"
LEAK_FLIPPED = 0.02  # share of rows where the leaky column disagrees with the target
IMBALANCED_TARGET = "fraud"


@dataclass(frozen=True)
class DataSpec:
    """Which table a lesson step loads; `kind` says which of the other fields matter."""

    kind: str  # "sample" | "generate" | "imbalanced" | "leaky"
    sample: str | None = None  # a key of mlcore.data.samples.SAMPLES (kind "sample")
    shape: str = "moons"  # a generator shape (mlcore.data.generators.Shape values), for generate/leaky
    n_samples: int = 500
    noise: float = 0.3
    minority: float = 0.05  # imbalanced: share of the rare class
    seed: int = 0


def _refuse(message: str, hint: str) -> TeachError:
    return TeachError(message, hint)


def check_spec(spec: DataSpec) -> None:
    """Raise TeachError when the spec names no table we can build (nothing is built here)."""
    if spec.kind not in KINDS:
        raise _refuse(f"'kind' must be one of {', '.join(KINDS)}; got {spec.kind!r}.", "Pick one of those.")
    if spec.kind == "sample":
        if spec.sample not in SAMPLES:
            raise _refuse(
                f"'sample' must be one of {', '.join(SAMPLES)}; got {spec.sample!r}.",
                "Name one of the built-in sample datasets.",
            )
        return
    if spec.sample is not None:
        raise _refuse(
            f"'sample' only goes with kind 'sample', not {spec.kind!r}.",
            "Remove 'sample', or set kind to 'sample'.",
        )
    shapes = LEAKY_SHAPES if spec.kind == "leaky" else SHAPES
    if spec.kind != "imbalanced" and spec.shape not in shapes:
        raise _refuse(
            f"'shape' must be one of {', '.join(shapes)}; got {spec.shape!r}.", "Pick one of those shapes."
        )
    if not MIN_ROWS <= spec.n_samples <= MAX_ROWS:
        raise _refuse(
            f"'n_samples' must be between {MIN_ROWS} and {MAX_ROWS:,}; got {spec.n_samples}.",
            "A few hundred rows are plenty for a lesson.",
        )
    if not 0.0 <= spec.noise <= 1.0:
        raise _refuse(f"'noise' must be between 0 and 1; got {spec.noise}.", "Try 0.3.")
    if not MIN_MINORITY <= spec.minority <= MAX_MINORITY:
        raise _refuse(
            f"'minority' must be between {MIN_MINORITY} and {MAX_MINORITY}; got {spec.minority}.",
            "It is the share of the rare class, for example 0.05 for 5%.",
        )
    if not 0 <= spec.seed < 2**31:
        raise _refuse(f"'seed' must be between 0 and 2,147,483,647; got {spec.seed}.", "Try 0.")


def lesson_dataset(spec: DataSpec) -> Dataset:
    """Build the table `spec` names, with its target set; the same spec always gives the same table."""
    check_spec(spec)
    if spec.kind == "sample":
        return load_sample(spec.sample)
    if spec.kind == "imbalanced":
        return _imbalanced(spec)
    generated = _generate(spec)
    return generated if spec.kind == "generate" else _leaky(spec, generated)


def _generate(spec: DataSpec) -> Dataset:
    try:
        return generate(
            GeneratorSpec(shape=Shape(spec.shape), n_samples=spec.n_samples, noise=spec.noise, seed=spec.seed)
        )
    except MLCoreError as error:  # the generator's own bounds
        raise TeachError(error.message, error.hint) from error


def _imbalanced(spec: DataSpec) -> Dataset:
    X, y = make_classification(
        n_samples=spec.n_samples,
        n_features=4,
        n_informative=3,
        n_redundant=1,  # 3 informative + 1 redundant = 4 features (the default 2 would not fit)
        weights=[1 - spec.minority, spec.minority],
        flip_y=0,
        random_state=spec.seed,
    )
    frame = pd.DataFrame(X, columns=[f"f{i + 1}" for i in range(X.shape[1])])
    frame[IMBALANCED_TARGET] = np.where(y == 1, "yes", "no")
    share = f"{spec.minority:.0%}"
    return build_dataset(
        frame,
        name=f"Imbalanced fraud ({spec.n_samples} rows)",
        source=f"lesson: imbalanced(n_samples={spec.n_samples}, minority={spec.minority}, seed={spec.seed})",
        content_hash=hash_frame(frame),
        target=IMBALANCED_TARGET,
        description=(
            f"An imbalanced dataset: only about {share} of the rows are fraud ('yes'). A model that always "
            "says 'no' is right almost every time, so accuracy alone tells you little here."
        ),
    )


def _leaky(spec: DataSpec, generated: Dataset) -> Dataset:
    frame = generated.frame.copy()
    target = frame["target"].to_numpy()
    classes = np.unique(target)
    rng = np.random.default_rng(spec.seed)
    flipped = rng.choice(len(frame), size=round(LEAK_FLIPPED * len(frame)), replace=False)
    leak = target.copy()
    # Each flipped row takes another class (the next one round the list), so it surely disagrees.
    positions = np.searchsorted(classes, target[flipped])
    leak[flipped] = classes[(positions + 1) % len(classes)]
    frame.insert(frame.columns.get_loc("target"), LEAK_COLUMN, leak)
    return build_dataset(
        frame,
        name=f"{generated.name} with a leaky feature",
        source=f"lesson: leaky({generated.source})",
        content_hash=hash_frame(frame),
        target="target",
        description=(
            f"{generated.description} The column '{LEAK_COLUMN}' was filled in after the answer was known: "
            "it equals the target on 98% of the rows, so it predicts the target far too well "
            "(target leakage). A real model would not have it when it makes a prediction."
        ),
    )
