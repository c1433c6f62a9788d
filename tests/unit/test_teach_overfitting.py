"""The overfitting panel: scores on a fixed split, and a sweep that finds where overfitting starts."""

from __future__ import annotations

import pytest
from sklearn.base import clone
from sklearn.metrics import accuracy_score
from sklearn.model_selection import train_test_split

from mlcore.data.generators import GeneratorSpec, Shape, generate
from mlcore.teach.errors import TeachError
from mlcore.teach.overfitting import KNOBS, build, fit_at, split_rows, sweep


@pytest.fixture(scope="module")
def moons():
    return generate(GeneratorSpec(Shape.MOONS, n_samples=300, noise=0.35, seed=1)).frame


def test_knobs_run_from_simplest_to_most_complex():
    assert KNOBS["tree_depth"].values == tuple(range(1, 21))
    assert KNOBS["knn_k"].values[0] == 50 and KNOBS["knn_k"].values[-1] == 1
    assert list(KNOBS["svm_c"].values) == sorted(KNOBS["svm_c"].values)
    for knob in KNOBS.values():
        assert knob.default in knob.values and knob.help.endswith(".")


def test_build_takes_the_value_and_the_seed():
    forest = build(KNOBS["forest_depth"], 7, seed=3)[-1]
    assert (forest.max_depth, forest.random_state, forest.n_jobs) == (7, 3, 1)
    assert build(KNOBS["knn_k"], 5, 0).named_steps["model"].n_neighbors == 5
    assert build(KNOBS["poly_degree"], 4, 0).named_steps["poly"].degree == 4
    assert build(KNOBS["svm_c"], 30.0, 2)[-1].C == 30.0


def test_scores_are_accuracy_on_the_seeds_stratified_split(moons):
    train, valid = split_rows(moons, "target", seed=5)
    expected_train, expected_valid = train_test_split(
        range(len(moons)), test_size=0.3, random_state=5, stratify=moons["target"]
    )
    assert sorted(expected_train) == list(train) and sorted(expected_valid) == list(valid)
    scores = fit_at(moons, "target", KNOBS["tree_depth"], 3, seed=5)
    X, y = moons[["x1", "x2"]], moons["target"]
    model = clone(build(KNOBS["tree_depth"], 3, 5)).fit(X.iloc[train], y.iloc[train])
    assert scores.train == accuracy_score(y.iloc[train], model.predict(X.iloc[train]))
    assert scores.validation == accuracy_score(y.iloc[valid], model.predict(X.iloc[valid]))
    assert list(scores.pipeline.feature_names_in_) == ["x1", "x2"]


def test_one_neighbour_fits_the_training_rows_perfectly(moons):
    assert fit_at(moons, "target", KNOBS["knn_k"], 1, seed=0).train == 1.0


def test_k_beyond_the_training_rows_is_capped(moons):
    small = moons.groupby("target").head(15)  # 30 rows, 21 for training
    scores = fit_at(small, "target", KNOBS["knn_k"], 50, seed=0)
    assert scores.pipeline[-1].n_neighbors == 21 and "capped" in scores.note


def test_a_deep_tree_overfits_noisy_moons(moons):
    result = sweep(moons, "target", KNOBS["tree_depth"], seed=0)
    assert result.values == KNOBS["tree_depth"].values and len(result.train) == len(result.validation) == 20
    assert result.overfit_from is not None and result.best < result.overfit_from
    at = result.values.index
    assert result.validation[at(result.best)] == max(result.validation)
    assert result.validation[at(result.overfit_from)] < result.validation[at(result.best)]
    assert result.train[at(result.overfit_from)] > result.train[at(result.best)]
    assert f"depth {result.best}" in result.sentence and "overfitting" in result.sentence


def test_the_same_seed_gives_the_same_sweep(moons):
    assert sweep(moons, "target", KNOBS["knn_k"], 4) == sweep(moons, "target", KNOBS["knn_k"], 4)


def test_text_features_and_single_rows_are_refused(moons):
    with pytest.raises(TeachError, match="number features"):
        fit_at(moons.assign(kind="a"), "target", KNOBS["tree_depth"], 3, 0)
    with pytest.raises(TeachError, match="single row"):
        split_rows(moons.head(10).assign(target=[0] * 9 + [1]), "target", 0)
