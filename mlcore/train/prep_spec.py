"""The preprocessing choices as data: what the Prepare page's widgets set, a run records and the
generated `train.py` repeats. `mlcore.train.prep` turns a spec into transformers."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from typing import Any, Literal

# Choices with the label a widget shows.
NUMERIC_IMPUTE = {
    "median": "median",
    "mean": "mean",
    "constant": "a constant",
    "knn": "k-nearest neighbours",
    "iterative": "iterative (from the other columns)",
}
SCALERS = {"standard": "standard (z-score)", "none": "none", "minmax": "min-max (0 to 1)", "robust": "robust"}
CLIPS = {"none": "none", "iqr": "IQR fences", "quantile": "quantiles"}
CATEGORICAL_IMPUTE = {"missing_level": "a 'missing' level", "most_frequent": "most frequent level"}
ENCODINGS = {"onehot": "one-hot", "ordinal": "ordinal (level numbers)", "target": "target encoding"}
K_BEST_SCORES = {"f_test": "F-test", "mutual_info": "mutual information"}
IMBALANCE = {
    "none": "none",
    "class_weight": "class weights",
    "oversample": "random over-sampling",
    "undersample": "random under-sampling",
    "smote": "SMOTE",
}


@dataclass(frozen=True)
class NumericPrep:
    """Steps for number columns, in this order: impute, clip, power transform, scale."""

    impute: Literal["median", "mean", "constant", "knn", "iterative"] = "median"
    fill_value: float = 0.0
    add_indicator: bool = False
    clip: Literal["none", "iqr", "quantile"] = "none"
    iqr_factor: float = 1.5
    quantiles: tuple[float, float] = (0.01, 0.99)
    power: bool = False
    scale: Literal["standard", "none", "minmax", "robust"] = "standard"


@dataclass(frozen=True)
class CategoricalPrep:
    """Steps for category columns: impute, then encode (rare levels grouped when limits are set)."""

    impute: Literal["missing_level", "most_frequent"] = "missing_level"
    encode: Literal["onehot", "ordinal", "target"] = "onehot"
    max_levels: int | None = 20
    min_frequency: int | float | None = None


@dataclass(frozen=True)
class DatetimePrep:
    parts: tuple[str, ...] = ("year", "month", "day", "dayofweek", "hour")


@dataclass(frozen=True)
class TextPrep:
    max_features: int = 1_000
    ngram_max: int = 1


@dataclass(frozen=True)
class PrepSpec:
    """All preprocessing choices; JSON-serialisable through `to_dict` / `from_dict`."""

    numeric: NumericPrep = field(default_factory=NumericPrep)
    categorical: CategoricalPrep = field(default_factory=CategoricalPrep)
    datetime: DatetimePrep = field(default_factory=DatetimePrep)
    text: TextPrep = field(default_factory=TextPrep)
    variance_threshold: float | None = None
    k_best: int | None = None
    k_best_score: Literal["f_test", "mutual_info"] = "f_test"
    pca_components: int | float | None = None
    imbalance: Literal["none", "class_weight", "oversample", "undersample", "smote"] = "none"

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> PrepSpec:
        parts = {
            "numeric": NumericPrep,
            "categorical": CategoricalPrep,
            "datetime": DatetimePrep,
            "text": TextPrep,
        }
        values: dict[str, Any] = {}
        for f in fields(cls):
            if f.name not in data:
                continue
            value = data[f.name]
            if f.name in parts:
                value = parts[f.name](**{k: tuple(v) if isinstance(v, list) else v for k, v in value.items()})
            values[f.name] = value
        return cls(**values)

    @property
    def resamples(self) -> bool:
        return self.imbalance in ("oversample", "undersample", "smote")
