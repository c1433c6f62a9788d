"""The workbench's own estimators and transformers, the only code of ours inside a fitted pipeline.

This module imports nothing else of `mlcore`, so that a bundle can carry it beside the model: the
exported `model.joblib` holds it by value, `train.py` copies its source, and a `.skops` file names its
types (`mlcore.train.fit.transformers.*`) on the import allow-list. Each is a real scikit-learn estimator:
`__init__` only stores parameters, learned attributes end in `_`, and the generic checks pass.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pandas as pd
from scipy import sparse
from sklearn.base import BaseEstimator, ClassifierMixin, OneToOneFeatureMixin, TransformerMixin
from sklearn.preprocessing import LabelEncoder
from sklearn.utils.class_weight import compute_sample_weight
from sklearn.utils.validation import FLOAT_DTYPES, check_is_fitted, validate_data

DATE_PARTS = {
    "year": "year",
    "quarter": "quarter",
    "month": "month",
    "day": "day of month",
    "dayofweek": "day of week",
    "dayofyear": "day of year",
    "hour": "hour",
    "minute": "minute",
}


class OutlierClipper(OneToOneFeatureMixin, TransformerMixin, BaseEstimator):
    """Clip each column to fences learned on the training rows: Tukey's IQR fences or quantiles."""

    def __init__(
        self, method: str = "iqr", factor: float = 1.5, quantiles: tuple[float, float] = (0.01, 0.99)
    ) -> None:
        self.method = method
        self.factor = factor
        self.quantiles = quantiles

    def fit(self, X: Any, y: Any = None) -> OutlierClipper:
        X = validate_data(self, X, dtype=FLOAT_DTYPES, ensure_all_finite="allow-nan")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # all-missing columns give NaN fences
            if self.method == "iqr":
                q1, q3 = np.nanpercentile(X, [25, 75], axis=0)
                spread = q3 - q1
                self.lower_, self.upper_ = q1 - self.factor * spread, q3 + self.factor * spread
            elif self.method == "quantile":
                low, high = self.quantiles
                if not 0 <= low < high <= 1:
                    raise ValueError(f"quantiles must satisfy 0 <= low < high <= 1; got {self.quantiles}")
                self.lower_, self.upper_ = np.nanquantile(X, [low, high], axis=0)
            else:
                raise ValueError(f"method must be 'iqr' or 'quantile'; got {self.method!r}")
        return self

    def transform(self, X: Any) -> np.ndarray:
        check_is_fitted(self, ("lower_", "upper_"))
        X = validate_data(self, X, dtype=FLOAT_DTYPES, ensure_all_finite="allow-nan", reset=False)
        lower = np.where(np.isnan(self.lower_), -np.inf, self.lower_)
        upper = np.where(np.isnan(self.upper_), np.inf, self.upper_)
        return np.clip(X, lower, upper)

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True
        return tags


class DatetimeExpander(TransformerMixin, BaseEstimator):
    """Turn each date column into numeric parts (year, month, day of week …); missing dates give NaN.

    Plain numbers are read as nanoseconds since 1970, the way pandas stores dates.
    """

    def __init__(self, parts: tuple[str, ...] = ("year", "month", "day", "dayofweek", "hour")) -> None:
        self.parts = parts

    def fit(self, X: Any, y: Any = None) -> DatetimeExpander:
        self._nanoseconds(X, reset=True)
        unknown = [p for p in self.parts if p not in DATE_PARTS]
        if unknown or not self.parts:
            raise ValueError(f"parts must be a non-empty subset of {list(DATE_PARTS)}; got {self.parts!r}")
        return self

    def transform(self, X: Any) -> np.ndarray:
        check_is_fitted(self, "n_features_in_")
        values = self._nanoseconds(X, reset=False)
        columns = []
        for j in range(values.shape[1]):
            stamps = pd.Series(pd.to_datetime(values[:, j], unit="ns"))
            for part in self.parts:
                columns.append(getattr(stamps.dt, part).to_numpy(dtype=float, na_value=np.nan))
        return np.column_stack(columns) if columns else np.empty((values.shape[0], 0))

    def get_feature_names_out(self, input_features: Any = None) -> np.ndarray:
        check_is_fitted(self, "n_features_in_")
        if input_features is None:
            input_features = getattr(self, "feature_names_in_", [f"x{i}" for i in range(self.n_features_in_)])
        return np.asarray([f"{name}_{part}" for name in input_features for part in self.parts], dtype=object)

    def _nanoseconds(self, X: Any, reset: bool) -> np.ndarray:
        if isinstance(X, pd.DataFrame):
            X = pd.DataFrame({name: _to_nanoseconds(X[name]) for name in X.columns}, index=X.index)
        return validate_data(self, X, dtype=np.float64, ensure_all_finite="allow-nan", reset=reset)

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True
        return tags


def _to_nanoseconds(column: pd.Series) -> np.ndarray:
    stamps = pd.to_datetime(column, errors="coerce")
    if getattr(stamps.dt, "tz", None) is not None:
        stamps = stamps.dt.tz_localize(None)  # local wall-clock parts
    values = stamps.astype("datetime64[ns]").to_numpy().astype("int64").astype(float)
    values[stamps.isna().to_numpy()] = np.nan
    return values


# ---------- small module-level functions (pipelines must pickle) ----------


def as_strings(X: Any) -> np.ndarray:
    """Categories as strings with NaN for missing, so mixed types (1, '1', True) encode consistently."""
    frame = pd.DataFrame(X)
    out = frame.astype(str).where(frame.notna(), np.nan)
    return out.to_numpy(dtype=object)


def as_floats(X: Any) -> np.ndarray:
    """True/False (possibly with missing) as 1.0/0.0/NaN."""
    return pd.DataFrame(X).astype("float64").to_numpy()


def as_text(X: Any) -> np.ndarray:
    """One text column as a 1-D array of strings, missing text as ''."""
    column = pd.DataFrame(X).iloc[:, 0]
    return column.fillna("").astype(str).to_numpy()


def to_dense(X: Any) -> np.ndarray:
    return X.toarray() if sparse.issparse(X) else np.asarray(X)


# ---------- the XGBoost classifier that accepts any labels ----------


class LabelEncodedXGBClassifier(ClassifierMixin, BaseEstimator):
    """XGBoost classifier that takes string (or any) labels and predicts the original labels.

    XGBoost itself only accepts 0..k-1 integers; encoding inside the estimator keeps the pipeline's
    predictions in the user's labels and makes class weights ("balanced") work via sample weights.
    """

    def __init__(
        self,
        n_estimators: int = 200,
        max_depth: int = 6,
        learning_rate: float = 0.1,
        subsample: float = 1.0,
        colsample_bytree: float = 1.0,
        min_child_weight: float = 1.0,
        reg_lambda: float = 1.0,
        class_weight: str | None = None,
        random_state: int = 0,
        device: str = "cpu",
    ) -> None:
        self.n_estimators = n_estimators
        self.max_depth = max_depth
        self.learning_rate = learning_rate
        self.subsample = subsample
        self.colsample_bytree = colsample_bytree
        self.min_child_weight = min_child_weight
        self.reg_lambda = reg_lambda
        self.class_weight = class_weight
        self.random_state = random_state
        self.device = device

    def fit(self, X: Any, y: Any, sample_weight: Any = None) -> LabelEncodedXGBClassifier:
        from xgboost import XGBClassifier

        self.encoder_ = LabelEncoder().fit(y)
        self.classes_ = self.encoder_.classes_
        codes = self.encoder_.transform(y)
        if self.class_weight == "balanced":
            weights = compute_sample_weight("balanced", codes)
            sample_weight = weights if sample_weight is None else weights * np.asarray(sample_weight)
        self.model_ = XGBClassifier(
            n_estimators=self.n_estimators,
            max_depth=self.max_depth,
            learning_rate=self.learning_rate,
            subsample=self.subsample,
            colsample_bytree=self.colsample_bytree,
            min_child_weight=self.min_child_weight,
            reg_lambda=self.reg_lambda,
            random_state=self.random_state,
            tree_method="hist",
            device=self.device,
            n_jobs=1,
            verbosity=0,
        )
        self.model_.fit(X, codes, sample_weight=sample_weight)
        self.n_features_in_ = self.model_.n_features_in_
        return self

    def predict_proba(self, X: Any) -> np.ndarray:
        check_is_fitted(self, "model_")
        return self.model_.predict_proba(X)

    def predict(self, X: Any) -> np.ndarray:
        return self.classes_[np.argmax(self.predict_proba(X), axis=1)]
