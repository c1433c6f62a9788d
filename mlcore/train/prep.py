"""Preprocessing as data: a `PrepSpec` becomes one pipeline with the model, so nothing leaks.

Every step (imputation, scaling, encoding, selection, resampling) sits inside the same
scikit-learn / imbalanced-learn `Pipeline` as the model. Cross-validation fits the whole pipeline on
each training fold, so statistics of validation or test rows never reach the model.
"""

from __future__ import annotations

from functools import partial
from typing import Any

import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.decomposition import PCA
from sklearn.experimental import enable_iterative_imputer  # noqa: F401  (enables IterativeImputer)
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.feature_selection import (
    SelectKBest,
    VarianceThreshold,
    f_classif,
    f_regression,
    mutual_info_classif,
    mutual_info_regression,
)
from sklearn.impute import IterativeImputer, KNNImputer, MissingIndicator, SimpleImputer
from sklearn.pipeline import Pipeline as SkPipeline
from sklearn.preprocessing import (
    FunctionTransformer,
    MinMaxScaler,
    OneHotEncoder,
    OrdinalEncoder,
    PowerTransformer,
    RobustScaler,
    StandardScaler,
    TargetEncoder,
)

from mlcore.dataset import Dataset
from mlcore.schema import ColumnType, Task
from mlcore.train.errors import NoFeaturesError, PrepError, TooManyLevelsError
from mlcore.train.prep_spec import CategoricalPrep, NumericPrep, PrepSpec
from mlcore.train.transformers import (
    DatetimeExpander,
    OutlierClipper,
    as_floats,
    as_strings,
    as_text,
    to_dense,
)

MAX_ONEHOT_LEVELS = 1_000  # more one-hot columns than this from one column is refused
MISSING_LEVEL = "(missing)"

# ---------- spec → transformers ----------

_SCALERS = {"standard": StandardScaler, "minmax": MinMaxScaler, "robust": RobustScaler}


def _numeric_pipeline(spec: NumericPrep, seed: int) -> SkPipeline:
    imputers = {
        "median": lambda: SimpleImputer(strategy="median"),
        "mean": lambda: SimpleImputer(strategy="mean"),
        "constant": lambda: SimpleImputer(strategy="constant", fill_value=spec.fill_value),
        "knn": lambda: KNNImputer(),
        "iterative": lambda: IterativeImputer(random_state=seed),
    }
    steps: list[tuple[str, Any]] = [("impute", imputers[spec.impute]())]
    if spec.clip != "none":
        steps.append(("clip", OutlierClipper(spec.clip, spec.iqr_factor, tuple(spec.quantiles))))
    if spec.power:
        steps.append(("power", PowerTransformer(standardize=False)))
    if spec.scale in _SCALERS:
        steps.append(("scale", _SCALERS[spec.scale]()))
    return SkPipeline(steps)


def _categorical_pipeline(spec: CategoricalPrep, seed: int) -> SkPipeline:
    if spec.impute == "missing_level":
        imputer = SimpleImputer(strategy="constant", fill_value=MISSING_LEVEL)
    else:
        imputer = SimpleImputer(strategy="most_frequent")
    if spec.encode == "onehot":
        encoder: Any = OneHotEncoder(
            handle_unknown="infrequent_if_exist",
            max_categories=spec.max_levels,
            min_frequency=spec.min_frequency,
        )
    elif spec.encode == "ordinal":
        encoder = OrdinalEncoder(
            handle_unknown="use_encoded_value",
            unknown_value=-1,
            max_categories=spec.max_levels,
            min_frequency=spec.min_frequency,
        )
    else:
        encoder = TargetEncoder(random_state=seed)
    return SkPipeline(
        [
            ("as_text", FunctionTransformer(as_strings, feature_names_out="one-to-one")),
            ("impute", imputer),
            ("encode", encoder),
        ]
    )


def _column_groups(dataset: Dataset) -> dict[str, list[str]]:
    groups: dict[str, list[str]] = {
        "numeric": [],
        "boolean": [],
        "categorical": [],
        "datetime": [],
        "text": [],
    }
    for name in dataset.features:
        info = dataset.column(name)
        column = dataset.frame[name]
        if info.ctype is ColumnType.NUMERIC:
            groups["numeric"].append(name)
        elif info.ctype is ColumnType.BOOLEAN and (
            pd.api.types.is_bool_dtype(column.dtype)
            or pd.api.types.is_numeric_dtype(column.dtype)
            or set(column.dropna().unique()) <= {True, False}
        ):
            groups["boolean"].append(name)
        elif info.ctype in (ColumnType.CATEGORICAL, ColumnType.BOOLEAN):
            groups["categorical"].append(name)
        elif info.ctype is ColumnType.DATETIME:
            groups["datetime"].append(name)
        elif info.ctype is ColumnType.TEXT:
            groups["text"].append(name)
    return groups


def validate_prep(dataset: Dataset, prep: PrepSpec) -> dict[str, list[str]]:
    """Check the spec against the data; return the feature columns by group."""
    groups = _column_groups(dataset)
    if not any(groups.values()):
        raise NoFeaturesError(
            "No columns are left to learn from: every column is the target, an identifier or ignored.",
            "On the Data page, set at least one column's role to 'feature'.",
        )
    if prep.categorical.encode == "onehot":
        cap = prep.categorical.max_levels
        for name in groups["categorical"]:
            levels = dataset.column(name).n_unique
            if levels > MAX_ONEHOT_LEVELS and (cap is None or cap > MAX_ONEHOT_LEVELS):
                raise TooManyLevelsError(
                    f"'{name}' has {levels:,} different values; one-hot encoding would add a column for "
                    "each of them.",
                    f"Limit one-hot to at most {MAX_ONEHOT_LEVELS:,} levels (rarer ones are grouped), use "
                    "target encoding, or ignore the column if it is an identifier.",
                )
    if prep.imbalance != "none" and dataset.task is not Task.CLASSIFICATION:
        raise PrepError(
            "Class imbalance handling only applies to classification.",
            "Set class imbalance handling to 'none' for a regression target.",
        )
    if prep.k_best is not None and prep.k_best < 1:
        raise PrepError("Keep at least one feature when selecting the k best.", "Set k to 1 or more.")
    if prep.pca_components is not None and prep.pca_components <= 0:
        raise PrepError(
            "PCA needs a positive number of components.", "Use e.g. 10, or 0.95 for 95% variance."
        )
    return groups


def build_preprocessor(dataset: Dataset, prep: PrepSpec, seed: int = 0) -> ColumnTransformer:
    """The per-column-type part of the pipeline; columns not used as features are dropped."""
    groups = validate_prep(dataset, prep)
    parts: list[tuple[str, Any, Any]] = []
    if groups["numeric"]:
        parts.append(("numeric", _numeric_pipeline(prep.numeric, seed), groups["numeric"]))
        if prep.numeric.add_indicator:
            parts.append(
                ("missing", MissingIndicator(features="missing-only", error_on_new=False), groups["numeric"])
            )
    if groups["boolean"]:
        boolean = SkPipeline(
            [
                ("as_number", FunctionTransformer(as_floats, feature_names_out="one-to-one")),
                ("impute", SimpleImputer(strategy="most_frequent")),
            ]
        )
        parts.append(("boolean", boolean, groups["boolean"]))
    if groups["categorical"]:
        parts.append(("categorical", _categorical_pipeline(prep.categorical, seed), groups["categorical"]))
    if groups["datetime"]:
        steps: list[tuple[str, Any]] = [
            ("parts", DatetimeExpander(tuple(prep.datetime.parts))),
            ("impute", SimpleImputer(strategy="median", keep_empty_features=True)),
        ]
        if prep.numeric.scale in _SCALERS:
            steps.append(("scale", _SCALERS[prep.numeric.scale]()))
        parts.append(("datetime", SkPipeline(steps), groups["datetime"]))
    for name in groups["text"]:
        text = SkPipeline(
            [
                ("as_text", FunctionTransformer(as_text, feature_names_out="one-to-one")),
                (
                    "tfidf",
                    TfidfVectorizer(
                        max_features=prep.text.max_features, ngram_range=(1, prep.text.ngram_max)
                    ),
                ),
            ]
        )
        parts.append((f"text_{name}", text, [name]))
    # Dense output unless free text makes it big; sparse matrices are densified before models that need it.
    return ColumnTransformer(parts, remainder="drop", sparse_threshold=0.3 if groups["text"] else 0.0)


def dataset_steps(dataset: Dataset, prep: PrepSpec, seed: int, sparse_ok: bool) -> list[tuple[str, Any]]:
    """The steps after the column transformer: densify, selection, PCA and resampling."""
    classification = dataset.task is Task.CLASSIFICATION
    has_text = any(dataset.column(n).ctype is ColumnType.TEXT for n in dataset.features)
    steps: list[tuple[str, Any]] = []
    if has_text and (not sparse_ok or prep.pca_components is not None):
        steps.append(("dense", FunctionTransformer(to_dense, accept_sparse=True)))
    if prep.variance_threshold is not None:
        steps.append(("variance", VarianceThreshold(prep.variance_threshold)))
    if prep.k_best is not None:
        if prep.k_best_score == "mutual_info":
            mi = mutual_info_classif if classification else mutual_info_regression
            score: Any = partial(mi, random_state=seed, discrete_features=False)
        else:
            score = f_classif if classification else f_regression
        steps.append(("select", SelectKBest(score, k=prep.k_best)))
    if prep.pca_components is not None:
        steps.append(("pca", PCA(n_components=prep.pca_components, random_state=seed)))
    if prep.resamples:
        from imblearn.over_sampling import SMOTE, RandomOverSampler
        from imblearn.under_sampling import RandomUnderSampler

        samplers = {"oversample": RandomOverSampler, "undersample": RandomUnderSampler, "smote": SMOTE}
        steps.append(("resample", samplers[prep.imbalance](random_state=seed)))
    return steps


def build_pipeline(
    dataset: Dataset, prep: PrepSpec, model_key: str, params: dict[str, Any] | None = None, seed: int = 0
) -> Any:
    """Preprocessing and model in one imbalanced-learn `Pipeline` (resamplers act during fit only)."""
    from imblearn.pipeline import Pipeline

    from mlcore.train.models import get_model

    if dataset.target is None or dataset.task is None:
        raise PrepError(
            "Choose a target column before training.", "Pick the column to predict on the Data page."
        )
    spec = get_model(dataset.task, model_key)
    model = spec.build(params, seed, balanced=prep.imbalance == "class_weight")
    steps = [
        ("prep", build_preprocessor(dataset, prep, seed)),
        *dataset_steps(dataset, prep, seed, spec.sparse_ok),
    ]
    if weights_by_oversampling(dataset, prep, model_key):
        from imblearn.over_sampling import RandomOverSampler

        steps.append(("resample", RandomOverSampler(random_state=seed)))
    return Pipeline([*steps, ("model", model)])


def weights_by_oversampling(dataset: Dataset, prep: PrepSpec, model_key: str | None) -> bool:
    """Class weights were asked for, but the model takes none (k-NN, naive Bayes, MLP): the rare classes
    are oversampled inside each training fold instead, which balances the classes the same way."""
    if not model_key or prep.imbalance != "class_weight" or dataset.task is not Task.CLASSIFICATION:
        return False
    from mlcore.train.models import get_model

    return not get_model(dataset.task, model_key).class_weight
