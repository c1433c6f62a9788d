"""Discover's tables (shared by the other test_discover_* files) and its one preprocessing of them."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.compose import ColumnTransformer
from sklearn.datasets import make_blobs, make_moons
from sklearn.impute import SimpleImputer
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import FunctionTransformer, OneHotEncoder, StandardScaler

from mlcore.dataset import Dataset, build_dataset, hash_frame, set_role
from mlcore.discover.errors import DiscoverError
from mlcore.discover.prepared import prepare, sample_rows
from mlcore.schema import Role
from mlcore.train.prep_spec import CategoricalPrep, PrepSpec
from mlcore.train.transformers import as_strings

SEED = 0
NUMBERS = ["a", "b", "c"]


def dataset_of(frame: pd.DataFrame, target: str | None = None) -> Dataset:
    return build_dataset(frame, name="t", source="test", content_hash=hash_frame(frame), target=target)


def blobs(n: int = 600, centers: int = 4, seed: int = 3) -> tuple[Dataset, np.ndarray]:
    """Well-separated round clusters in three numbers, and their true labels."""
    X, y = make_blobs(n, centers=centers, n_features=3, cluster_std=0.6, random_state=seed)
    return dataset_of(pd.DataFrame(X, columns=NUMBERS)), y


def mixed(n: int = 300, seed: int = 0) -> Dataset:
    """Numbers (one with missing values), a category with missing values and a class target."""
    X, y = make_blobs(n, centers=3, n_features=3, random_state=seed)
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame(X, columns=NUMBERS)
    frame.loc[rng.random(n) < 0.1, "b"] = np.nan
    frame["colour"] = np.where(y == 0, "red", rng.choice(["green", "blue"], n)).astype(object)
    frame.loc[rng.random(n) < 0.05, "colour"] = None
    frame["label"] = np.array(["x", "y", "z"])[y]
    return dataset_of(frame, target="label")


def mixed_classes(n: int = 300, seed: int = 0) -> np.ndarray:
    """`mixed`'s rows by their class, as the cluster labels 0, 1, 2 that would find it exactly."""
    return pd.factorize(mixed(n, seed).frame["label"], sort=True)[0]


def moons(n: int = 400, seed: int = 0) -> tuple[Dataset, np.ndarray]:
    """Two interleaved half circles with little noise, in columns `x` and `y`, and each row's moon."""
    X, y = make_moons(n, noise=0.05, random_state=seed)
    return dataset_of(pd.DataFrame(X, columns=["x", "y"])), y


def with_outlier(row: int = 17, sds: float = 50.0) -> Dataset:
    """`blobs` of 300 rows with row `row`'s `b` moved `sds` standard deviations above its mean."""
    frame = blobs(300)[0].frame.copy()
    frame.loc[row, "b"] = frame["b"].mean() + sds * frame["b"].std()
    return dataset_of(frame)


def hand_sample(n_rows: int, size: int, seed: int = SEED) -> np.ndarray:
    """The rows a stated random sample holds, by hand: `size` of them, sorted, drawn from numpy's
    default generator with the seed."""
    return np.sort(np.random.default_rng(seed).choice(n_rows, size, replace=False))


def hand_preprocessor() -> ColumnTransformer:
    """Prepare's default per-column steps for `mixed`, written out by hand."""
    categories = Pipeline(
        [
            ("as_text", FunctionTransformer(as_strings, feature_names_out="one-to-one")),
            ("impute", SimpleImputer(strategy="constant", fill_value="(missing)")),
            ("encode", OneHotEncoder(handle_unknown="infrequent_if_exist", max_categories=20)),
        ]
    )
    numbers = Pipeline([("impute", SimpleImputer(strategy="median")), ("scale", StandardScaler())])
    return ColumnTransformer([("n", numbers, NUMBERS), ("c", categories, ["colour"])], sparse_threshold=0)


def test_the_matrix_is_prepares_column_transformer_on_the_features_without_the_target():
    dataset = mixed()
    prepared = prepare(dataset, seed=SEED)
    expected = hand_preprocessor().fit_transform(dataset.frame)
    np.testing.assert_array_equal(prepared.matrix, expected)
    assert prepared.matrix.flags["C_CONTIGUOUS"] and prepared.matrix.dtype == np.float64
    assert prepared.columns == (
        "a",
        "b",
        "c",
        "colour = (missing)",
        "colour = blue",
        "colour = green",
        "colour = red",
    )
    assert prepared.sources == ("a", "b", "c", "colour", "colour", "colour", "colour")
    assert list(prepared.preprocessor.feature_names_in_) == [*NUMBERS, "colour"]  # the target is no input


def test_training_only_steps_of_the_spec_are_left_out():
    dataset = mixed()
    spec = PrepSpec(k_best=2, pca_components=2, variance_threshold=0.1, imbalance="oversample")
    np.testing.assert_array_equal(prepare(dataset, spec).matrix, prepare(dataset).matrix)


def test_no_usable_feature_is_a_plain_error():
    dataset = mixed()
    for name in [*NUMBERS, "colour"]:
        dataset = set_role(dataset, name, Role.IGNORE)
    with pytest.raises(DiscoverError, match="No column can be used") as raised:
        prepare(dataset)
    assert "feature" in raised.value.hint


def test_features_without_values_are_left_out_and_said_so_and_none_left_is_a_plain_error():
    frame = pd.DataFrame({"a": [np.nan] * 5, "b": [1.0, 2.0, 3.0, 4.0, 5.0]})
    prepared = prepare(dataset_of(frame))
    assert prepared.columns == ("b",) and prepared.note == "Left out for having no value: a."
    with pytest.raises(DiscoverError, match="every value is missing"):
        prepare(set_role(dataset_of(frame), "b", Role.IGNORE))


def test_a_table_of_numbers_is_standardised():
    dataset, _ = blobs(100)
    np.testing.assert_allclose(
        prepare(dataset).matrix, StandardScaler().fit_transform(dataset.frame), atol=1e-12
    )


def test_identifiers_alone_are_no_usable_feature():
    dataset = dataset_of(pd.DataFrame({"id": np.arange(50), "code": [f"A{i:03d}" for i in range(50)]}))
    with pytest.raises(DiscoverError, match="No column can be used"):
        prepare(dataset)


def test_one_distinct_row_is_a_plain_error():
    frame = pd.DataFrame({"a": [1.5] * 20, "colour": ["red"] * 20})
    with pytest.raises(DiscoverError, match="All 20 rows are the same") as raised:
        prepare(dataset_of(frame))
    assert raised.value.hint


def test_target_encoding_is_refused_with_what_to_use():
    with pytest.raises(DiscoverError, match="Target encoding needs the target") as raised:
        prepare(mixed(), PrepSpec(categorical=CategoricalPrep(encode="target")))
    assert "one-hot" in raised.value.hint


def test_samples_are_sorted_unique_seeded_and_every_row_when_small():
    rows = sample_rows(1_000, 100, SEED)
    assert len(np.unique(rows)) == 100 and np.all(np.diff(rows) > 0)
    np.testing.assert_array_equal(rows, hand_sample(1_000, 100))
    assert not np.array_equal(rows, sample_rows(1_000, 100, SEED + 1))
    np.testing.assert_array_equal(sample_rows(50, 100, SEED), np.arange(50))
