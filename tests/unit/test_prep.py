"""Preprocessing specs: exact equivalence with hand-written pipelines, leak-proofness, own transformers."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from imblearn.over_sampling import RandomOverSampler
from imblearn.pipeline import Pipeline as ImbPipeline
from sklearn.compose import ColumnTransformer
from sklearn.feature_selection import SelectKBest, f_classif
from sklearn.impute import MissingIndicator, SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold, cross_val_score, train_test_split
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import MinMaxScaler, OneHotEncoder, OrdinalEncoder, StandardScaler
from sklearn.tree import DecisionTreeClassifier
from sklearn.utils.estimator_checks import check_estimator

from mlcore.data.samples import load_sample
from mlcore.dataset import build_dataset, hash_frame, set_role, set_type
from mlcore.schema import ColumnType, Role
from mlcore.train.errors import NoFeaturesError, PrepError, TooManyLevelsError
from mlcore.train.fit import cross_validate, train_model
from mlcore.train.pipeline_description import describe_pipeline
from mlcore.train.prep import DatetimeExpander, OutlierClipper, build_pipeline, build_preprocessor
from mlcore.train.prep_spec import CategoricalPrep, NumericPrep, PrepSpec, TextPrep
from mlcore.train.runs import ModelChoice, TrainRequest
from mlcore.train.split import SplitSpec, make_split

SEED = 0


def frame_dataset(frame: pd.DataFrame, target: str):
    return build_dataset(frame, name="t", source="test", content_hash=hash_frame(frame), target=target)


@pytest.fixture(scope="module")
def penguins():
    return load_sample("penguins")


def hand_split(dataset):
    """The split a user would write by hand: stratified 80/20, then stratified 5-fold on the 80%."""
    y = dataset.frame[dataset.target].to_numpy()
    train, _ = train_test_split(np.arange(len(y)), test_size=0.2, stratify=y, random_state=SEED)
    X = dataset.frame.iloc[train][dataset.features]
    return X, y[train], StratifiedKFold(5, shuffle=True, random_state=SEED)


def test_default_spec_gives_exactly_the_scores_of_the_hand_written_pipeline(penguins):
    numbers = ["bill_length_mm", "bill_depth_mm", "flipper_length_mm", "body_mass_g", "year"]
    categories = ["island", "sex"]
    hand = Pipeline(
        [
            (
                "prep",
                ColumnTransformer(
                    [
                        (
                            "n",
                            Pipeline([("i", SimpleImputer(strategy="median")), ("s", StandardScaler())]),
                            numbers,
                        ),
                        (
                            "c",
                            Pipeline(
                                [
                                    ("i", SimpleImputer(strategy="constant", fill_value="(missing)")),
                                    (
                                        "o",
                                        OneHotEncoder(
                                            handle_unknown="infrequent_if_exist", max_categories=20
                                        ),
                                    ),
                                ]
                            ),
                            categories,
                        ),
                    ],
                    sparse_threshold=0,
                ),
            ),
            ("model", LogisticRegression(C=1.0, max_iter=1000, random_state=SEED)),
        ]
    )
    X, y, folds = hand_split(penguins)
    expected = cross_val_score(hand, X, y, cv=folds, scoring="accuracy")

    request = TrainRequest(penguins, seed=SEED)
    split = make_split(penguins, request.split, SEED)
    ours = cross_validate(request, ModelChoice("logistic_regression"), split)
    assert ours.fold_scores["accuracy"] == list(expected)


def test_options_spec_matches_hand_written_imblearn_pipeline(penguins):
    numbers = ["bill_length_mm", "bill_depth_mm", "flipper_length_mm", "body_mass_g", "year"]
    categories = ["island", "sex"]
    prep = PrepSpec(
        numeric=NumericPrep(impute="mean", add_indicator=True, clip="iqr", scale="minmax"),
        categorical=CategoricalPrep(impute="most_frequent", encode="ordinal", max_levels=None),
        k_best=4,
        imbalance="oversample",
    )
    hand = ImbPipeline(
        [
            (
                "prep",
                ColumnTransformer(
                    [
                        (
                            "n",
                            Pipeline(
                                [
                                    ("i", SimpleImputer(strategy="mean")),
                                    ("c", OutlierClipper("iqr", 1.5)),
                                    ("s", MinMaxScaler()),
                                ]
                            ),
                            numbers,
                        ),
                        ("m", MissingIndicator(features="missing-only", error_on_new=False), numbers),
                        (
                            "c",
                            Pipeline(
                                [
                                    ("i", SimpleImputer(strategy="most_frequent")),
                                    (
                                        "o",
                                        OrdinalEncoder(handle_unknown="use_encoded_value", unknown_value=-1),
                                    ),
                                ]
                            ),
                            categories,
                        ),
                    ],
                    sparse_threshold=0,
                ),
            ),
            ("select", SelectKBest(f_classif, k=4)),
            ("resample", RandomOverSampler(random_state=SEED)),
            ("model", DecisionTreeClassifier(random_state=SEED)),
        ]
    )
    X, y, folds = hand_split(penguins)
    expected = cross_val_score(hand, X, y, cv=folds, scoring="balanced_accuracy")

    request = TrainRequest(penguins, prep=prep, seed=SEED)
    ours = cross_validate(request, ModelChoice("decision_tree"), make_split(penguins, request.split, SEED))
    assert ours.fold_scores["balanced_accuracy"] == list(expected)


def test_steps_are_fitted_on_training_rows_only(penguins):
    request = TrainRequest(penguins, seed=SEED)
    split = make_split(penguins, SplitSpec(), SEED)
    run = train_model(request, ModelChoice("logistic_regression"), split)
    scaler = run.pipeline.named_steps["prep"].named_transformers_["numeric"].named_steps["scale"]
    assert scaler.n_samples_seen_ == len(split.train) < penguins.n_rows
    train_rows = penguins.frame.iloc[split.train]
    assert scaler.mean_[0] == pytest.approx(
        train_rows["bill_length_mm"].fillna(train_rows["bill_length_mm"].median()).mean()
    )


def test_selection_inside_the_pipeline_does_not_leak():
    """Pure noise and a random target: selecting inside the folds is at chance; on all rows it is not."""
    rng = np.random.default_rng(SEED)
    n_rows, n_features = 80, 2000
    noise = pd.DataFrame(rng.normal(size=(n_rows, n_features)), columns=[f"f{i}" for i in range(n_features)])
    noise["target"] = np.where(rng.random(n_rows) < 0.5, "a", "b")
    dataset = frame_dataset(noise, "target")
    request = TrainRequest(dataset, prep=PrepSpec(k_best=20), split=SplitSpec(test_size=0.0, cv_folds=5))
    split = make_split(dataset, request.split, SEED)
    inside = np.mean(
        cross_validate(request, ModelChoice("logistic_regression"), split).fold_scores["accuracy"]
    )

    X, y = noise.drop(columns="target"), noise["target"]
    leaked_X = SelectKBest(f_classif, k=20).fit_transform(X, y)  # the mistake: selecting on every row
    folds = StratifiedKFold(5, shuffle=True, random_state=SEED)
    leaked = cross_val_score(LogisticRegression(max_iter=1000), leaked_X, y, cv=folds).mean()

    assert abs(inside - 0.5) < 0.15
    assert leaked > 0.8


def test_resampling_happens_during_fit_only(penguins):
    pipeline = build_pipeline(penguins, PrepSpec(imbalance="smote"), "decision_tree", seed=SEED)
    X, y = penguins.frame[penguins.features], penguins.frame["species"]
    pipeline.fit(X, y)
    # the tree was grown on SMOTE's balanced rows: every class as large as the largest one ...
    assert pipeline.named_steps["model"].tree_.n_node_samples[0] == 3 * y.value_counts().max()
    # ... while predicting uses the rows as they are
    assert len(pipeline.predict(X)) == len(X)


def test_every_column_type_is_prepared():
    rng = np.random.default_rng(1)
    n = 60
    words = np.array(["red apple", "green pear", "ripe banana", "sour lemon", "sweet cherry"])
    frame = pd.DataFrame(
        {
            "x": rng.normal(size=n),
            "flag": rng.random(n) < 0.5,
            "colour": rng.choice(["r", "g", None], n),
            "when": pd.date_range("2024-01-01", periods=n, freq="37h"),
            "note": [f"{words[i % 5]} number {i} in the basket with friends" for i in range(n)],
            "row_id": np.arange(n),
            "target": rng.choice(["yes", "no"], n),
        }
    )
    dataset = frame_dataset(frame, "target")
    assert dataset.column("note").ctype is ColumnType.TEXT
    assert dataset.column("row_id").role is Role.IGNORE
    prep = PrepSpec(text=TextPrep(max_features=8))
    transformer = build_preprocessor(dataset, prep, SEED)
    out = transformer.fit_transform(frame[dataset.features], frame["target"])
    names = list(transformer.get_feature_names_out())
    # 1 number + 1 flag + 3 colour levels + 5 date parts + 8 words; the identifier is dropped
    assert out.shape == (n, 18)
    assert "datetime__when_dayofweek" in names and not any("row_id" in name for name in names)
    lines = describe_pipeline(dataset, prep, "xgboost")
    assert any(line.startswith("Text (1)") for line in lines) and lines[-1].startswith("Every step is fitted")


def test_one_hot_on_fifty_thousand_levels_is_refused_with_a_hint():
    n = 50_000
    frame = pd.DataFrame(
        {"code": [f"c{i}" for i in range(n)], "x": np.arange(n) % 7, "target": np.arange(n) % 2}
    )
    dataset = frame_dataset(frame, "target")
    dataset = set_role(set_type(dataset, "code", ColumnType.CATEGORICAL), "code", Role.FEATURE)
    with pytest.raises(TooManyLevelsError, match="50,000 different values") as info:
        build_preprocessor(dataset, PrepSpec(categorical=CategoricalPrep(max_levels=None)))
    assert "target encoding" in info.value.hint
    capped = build_preprocessor(dataset, PrepSpec(categorical=CategoricalPrep(max_levels=20)))
    assert capped.fit_transform(frame[["code", "x"]], frame["target"]).shape == (n, 21)


def test_no_features_and_bad_options_are_typed_errors(penguins):
    only_target = penguins
    for name in penguins.features:
        only_target = set_role(only_target, name, Role.IGNORE)
    with pytest.raises(NoFeaturesError):
        build_preprocessor(only_target, PrepSpec())
    diabetes = load_sample("diabetes")
    with pytest.raises(PrepError, match="only applies to classification"):
        build_preprocessor(diabetes, PrepSpec(imbalance="smote"))


def test_spec_round_trips_through_json():
    spec = PrepSpec(
        numeric=NumericPrep(impute="knn", clip="quantile", quantiles=(0.05, 0.95), power=True),
        categorical=CategoricalPrep(encode="target", max_levels=None, min_frequency=0.01),
        k_best=5,
        k_best_score="mutual_info",
        pca_components=0.9,
    )
    assert PrepSpec.from_dict(json.loads(json.dumps(spec.to_dict()))) == spec


def test_outlier_clipper_uses_tukey_fences_from_training_rows():
    X = np.array([[1.0], [2.0], [3.0], [4.0], [100.0]])
    clipper = OutlierClipper("iqr", 1.5).fit(X)
    q1, q3 = 2.0, 4.0  # numpy's linear percentiles of the column
    assert clipper.upper_[0] == q3 + 1.5 * (q3 - q1)
    assert clipper.transform([[100.0], [-50.0], [np.nan]]).ravel().tolist()[:2] == [7.0, -1.0]
    assert np.isnan(clipper.transform([[np.nan]])[0, 0])
    quantiles = OutlierClipper("quantile", quantiles=(0.25, 0.75)).fit(X)
    assert quantiles.transform([[0.0], [50.0]]).ravel().tolist() == [2.0, 4.0]


def test_datetime_expander_gives_local_parts_and_nan_for_missing():
    dates = pd.DataFrame(
        {
            "d": pd.to_datetime(["2021-03-04 05:06", None, "2020-12-31 23:00"]),
            "z": pd.to_datetime(["2024-07-01 00:30"] * 3).tz_localize("Europe/Paris"),
        }
    )
    expander = DatetimeExpander(("year", "month", "dayofweek", "hour")).fit(dates)
    out = expander.transform(dates)
    assert out[0].tolist() == [2021, 3, 3, 5, 2024, 7, 0, 0]
    assert np.isnan(out[1, :4]).all()
    assert out[2, :4].tolist() == [2020, 12, 3, 23]
    assert list(expander.get_feature_names_out())[:2] == ["d_year", "d_month"]


@pytest.mark.parametrize(
    "estimator",
    [OutlierClipper(), OutlierClipper("quantile"), DatetimeExpander()],
    ids=["iqr", "quantile", "dates"],
)
def test_own_transformers_pass_sklearn_estimator_checks(estimator):
    check_estimator(estimator)
