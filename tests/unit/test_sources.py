"""Sample datasets and generators: shapes, targets, tasks and determinism."""

from __future__ import annotations

import pandas as pd
import pytest
from palmerpenguins import load_penguins
from sklearn import datasets as skdata

from mlcore.data.generators import GeneratorSpec, Shape, generate
from mlcore.data.samples import SAMPLES, load_sample
from mlcore.errors import SchemaError
from mlcore.schema import ColumnType, Task

EXPECTED = {
    "iris": ((150, 5), "species", Task.CLASSIFICATION),
    "penguins": ((344, 8), "species", Task.CLASSIFICATION),
    "wine": ((178, 14), "cultivar", Task.CLASSIFICATION),
    "breast_cancer": ((569, 31), "diagnosis", Task.CLASSIFICATION),
    "diabetes": ((442, 11), "progression", Task.REGRESSION),
    "digits": ((1797, 65), "digit", Task.CLASSIFICATION),
}


@pytest.mark.parametrize("key", list(SAMPLES))
def test_each_sample_loads_with_its_natural_target(key):
    dataset = load_sample(key)
    shape, target, task = EXPECTED[key]
    assert dataset.frame.shape == shape
    assert (dataset.target, dataset.task) == (target, task)
    assert len(dataset.description) > 50
    assert target not in dataset.features


def test_sample_values_match_the_packages():
    iris = load_sample("iris").frame
    assert sorted(iris["species"].unique()) == ["setosa", "versicolor", "virginica"]
    assert iris.iloc[:, 0].tolist() == skdata.load_iris().data[:, 0].tolist()
    penguins = load_sample("penguins")
    assert int(penguins.frame.isna().sum().sum()) == int(load_penguins().isna().sum().sum()) == 19
    types = {c.name: c.ctype for c in penguins.columns}
    assert types["island"] is ColumnType.CATEGORICAL and types["bill_length_mm"] is ColumnType.NUMERIC
    assert penguins.column("sex").n_missing == 11


@pytest.mark.parametrize("shape", list(Shape))
def test_generators_are_deterministic_per_seed(shape):
    first = generate(GeneratorSpec(shape=shape, n_samples=200, seed=3))
    again = generate(GeneratorSpec(shape=shape, n_samples=200, seed=3))
    other = generate(GeneratorSpec(shape=shape, n_samples=200, seed=4))
    pd.testing.assert_frame_equal(first.frame, again.frame)
    assert first.content_hash == again.content_hash != other.content_hash
    assert len(first.frame) == 200 and first.target == "target"
    expected = Task.REGRESSION if shape is Shape.REGRESSION else Task.CLASSIFICATION
    assert first.task is expected


def test_generator_knobs_take_effect():
    blobs = generate(GeneratorSpec(shape=Shape.BLOBS, n_samples=300, n_classes=4, n_features=3))
    assert blobs.frame["target"].nunique() == 4
    assert blobs.features == ["x1", "x2", "x3"]
    quiet = generate(GeneratorSpec(shape=Shape.REGRESSION, noise=0.0, n_features=1))
    noisy = generate(GeneratorSpec(shape=Shape.REGRESSION, noise=1.0, n_features=1))
    assert abs(quiet.frame["x1"].corr(quiet.frame["target"])) > 0.999
    assert abs(noisy.frame["x1"].corr(noisy.frame["target"])) < 0.999


def test_generator_rejects_impossible_settings():
    with pytest.raises(SchemaError, match="between 10"):
        generate(GeneratorSpec(n_samples=5))
