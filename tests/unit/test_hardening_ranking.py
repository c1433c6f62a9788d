"""Issue 11, items 10 and 11: an honest leaderboard on imbalanced classes, and class weights never
silently skipped."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
from imblearn.over_sampling import RandomOverSampler
from imblearn.pipeline import Pipeline
from model_helpers import train
from sklearn.metrics import balanced_accuracy_score
from sklearn.neighbors import KNeighborsClassifier
from threadpoolctl import threadpool_limits

from mlcore.dataset import build_dataset, hash_frame
from mlcore.deploy.bundle import build_bundle
from mlcore.deploy.card import card_markdown
from mlcore.evaluate.holdout import ranked
from mlcore.metrics import default_metric, imbalance_ratio, ranking_reason, target_counts
from mlcore.schema import Task
from mlcore.train.fit import train_model
from mlcore.train.leaderboard import leaderboard
from mlcore.train.pipeline_description import describe_pipeline
from mlcore.train.prep import build_preprocessor
from mlcore.train.prep_spec import PrepSpec
from mlcore.train.runs import ModelChoice, TrainRequest
from mlcore.train.split import SplitSpec, make_split


def _imbalanced(n_major: int = 580, n_minor: int = 20, seed: int = 0):
    """A 29 : 1 target that one feature separates only partly."""
    rng = np.random.default_rng(seed)
    y = np.array(["ok"] * n_major + ["fraud"] * n_minor, dtype=object)
    x = np.where(y == "fraud", rng.normal(1.5, 1.0, len(y)), rng.normal(0.0, 1.0, len(y)))
    frame = pd.DataFrame({"x": x, "noise": rng.normal(size=len(y)), "label": y})
    frame = frame.sample(frac=1.0, random_state=seed).reset_index(drop=True)
    return build_dataset(frame, name="fraud.csv", source="upload: fraud.csv", content_hash=hash_frame(frame))


def _train(dataset, choices, prep=None):
    request = TrainRequest(
        dataset, prep=prep or PrepSpec(), split=SplitSpec(cv_folds=3), models=choices, seed=0
    )
    with threadpool_limits(1):
        return [train_model(request, choice) for choice in request.models]


def test_imbalanced_classes_are_ranked_by_balanced_accuracy_by_default():
    dataset = _imbalanced()
    assert dataset.target == "label"
    counts = target_counts(dataset)
    assert counts == (("ok", 580), ("fraud", 20)) and imbalance_ratio(counts) == 29.0
    # k-NN with many neighbours answers 'ok' almost always: the best accuracy, a poor balanced accuracy
    majority, weighted = _train(
        dataset,
        (
            ModelChoice("knn", {"n_neighbors": 25}),
            ModelChoice("logistic_regression"),
        ),
        PrepSpec(imbalance="class_weight"),
    )
    assert majority.cv_mean["accuracy"] > weighted.cv_mean["accuracy"]
    assert weighted.cv_mean["balanced_accuracy"] > majority.cv_mean["balanced_accuracy"]
    assert majority.default_metric == "balanced_accuracy"
    table = leaderboard([majority, weighted])
    assert list(table["run id"]) == [weighted.id, majority.id]
    assert "CV balanced accuracy" in table.columns[3]
    assert [r.id for r in ranked([majority, weighted])] == [weighted.id, majority.id]
    by_accuracy = leaderboard([majority, weighted], "accuracy")  # the old default would mislead
    assert list(by_accuracy["run id"]) == [majority.id, weighted.id]
    reason = ranking_reason(Task.CLASSIFICATION, counts)
    assert "29 : 1" in reason and "'ok'" in reason and "97%" in reason


def test_balanced_classes_keep_accuracy_and_regression_r2():
    assert default_metric(Task.CLASSIFICATION, (("a", 60), ("b", 40))) == "accuracy"
    assert ranking_reason(Task.CLASSIFICATION, (("a", 60), ("b", 40))) == ""
    assert default_metric(Task.CLASSIFICATION, (("a", 80), ("b", 20))) == "balanced_accuracy"  # 4 : 1
    assert default_metric(Task.REGRESSION) == "r2"


def test_class_weights_for_a_model_without_them_oversample_inside_the_folds():
    dataset = _imbalanced()
    prep = PrepSpec(imbalance="class_weight")
    run = train(dataset, "knn", prep=prep, split=SplitSpec(cv_folds=3), params={"n_neighbors": 7})
    steps = dict(run.pipeline.steps)
    assert isinstance(steps["resample"], RandomOverSampler)
    assert any("oversampled" in note for note in run.notes)  # on the leaderboard, not hidden
    assert "oversampled" in leaderboard([run])["note"].iloc[0]
    # the same numbers as the pipeline written by hand
    hand = Pipeline(
        [
            ("prep", build_preprocessor(dataset, prep, 0)),
            ("resample", RandomOverSampler(random_state=0)),
            ("model", KNeighborsClassifier(n_neighbors=7, weights="distance")),  # the registry's default
        ]
    )
    X, y = dataset.frame[dataset.features], dataset.frame["label"]
    split = make_split(dataset, run.split, run.seed)  # the rows in the order the run saw them
    hand.fit(X.iloc[split.train], y.iloc[split.train])
    predicted = hand.predict(X.iloc[split.test])
    assert list(predicted) == list(run.y_pred)
    assert run.holdout["balanced_accuracy"] == balanced_accuracy_score(run.y_true, predicted)
    # the card says what was done, not that weights were used
    card = build_bundle(run, dataset).card
    steps_text = " ".join(card["preprocessing"]["steps"])
    assert "random oversampling" in steps_text and "Class imbalance: class weights" not in steps_text
    assert "oversampled" in card_markdown(card)
    lines = describe_pipeline(dataset, prep, "logistic_regression")  # a model that takes weights
    assert any(line.startswith("Class imbalance: class weights") for line in lines)


def test_names_in_the_model_card_markdown_are_text_not_links_or_html():
    rng = np.random.default_rng(1)
    frame = pd.DataFrame(
        {
            "![pixel](http://example.org/p.png)": rng.normal(size=60),
            "<img src=x onerror=alert(1)>": rng.normal(size=60),
            "a|b": rng.normal(size=60),
        }
    )
    frame["label"] = np.where(frame.iloc[:, 0] > 0, "yes", "no")
    dataset = build_dataset(
        frame, name="[x](http://evil).csv", source="upload: x", content_hash=hash_frame(frame)
    )
    text = card_markdown(build_bundle(train(dataset, "decision_tree"), dataset).card)
    unescaped = [r"(?<!\\)!\[pixel", r"(?<!\\)<img", r"(?<!\\)\[x\]"]
    assert not [pattern for pattern in unescaped if re.search(pattern, text)]
    assert r"\!\[pixel\](http\://example.org/p.png)" in text
    row = next(line for line in text.splitlines() if line.startswith(r"| a\|b"))
    assert len(re.findall(r"(?<!\\)\|", row)) == 6  # five cells: the name's bar is escaped
