"""What the model sees, in the names of the user's own columns.

The model's input is the transformed table (one-hot levels, date parts, TF-IDF words, "was missing"
flags). `feature_map` traces every transformed column back through each pipeline step to the column it
came from, so SHAP values can be summed per original column; `transform` gives that input for any rows.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy import sparse
from sklearn.preprocessing import FunctionTransformer, OneHotEncoder, TargetEncoder

from mlcore.train.run_data import preprocessor


@dataclass(frozen=True)
class FeatureMap:
    """The model's input columns and the original column each one comes from (None: unknown)."""

    columns: tuple[str, ...]
    sources: tuple[str | None, ...]
    features: tuple[str, ...]
    note: str = ""

    @property
    def recoverable(self) -> bool:
        return all(s is not None for s in self.sources)

    def matrix(self) -> np.ndarray:
        """A 0/1 matrix (model columns × original features) that sums expanded columns per source."""
        index = {name: j for j, name in enumerate(self.features)}
        out = np.zeros((len(self.columns), len(self.features)))
        for i, source in enumerate(self.sources):
            if source is not None:
                out[i, index[source]] = 1.0
        return out


def identity_map(features: list[str]) -> FeatureMap:
    return FeatureMap(tuple(features), tuple(features), tuple(features))


def feature_map(pipeline: Any) -> FeatureMap:
    """Trace each column the model sees back to its source column through every pipeline step."""
    prep = preprocessor(pipeline)
    features = tuple(str(c) for c in prep.feature_names_in_)
    names = [str(n) for n in prep.get_feature_names_out()]
    sources: list[str | None] = [None] * len(names)
    for name, transformer, columns in prep.transformers_:
        if name == "remainder" or isinstance(transformer, str):
            continue
        where = prep.output_indices_[name]
        width = where.stop - where.start
        if width:
            sources[where] = _group_sources(transformer, [str(c) for c in columns], width)
    note = ""
    for _, step in pipeline.steps[1:-1]:
        if step is None or isinstance(step, str) or hasattr(step, "fit_resample"):
            continue  # resamplers act during training only
        if isinstance(step, FunctionTransformer):
            continue  # e.g. sparse → dense: the same columns
        if hasattr(step, "get_support"):
            keep = step.get_support()
            names = [n for n, k in zip(names, keep, strict=True) if k]
            sources = [s for s, k in zip(sources, keep, strict=True) if k]
            continue
        names = [str(n) for n in step.get_feature_names_out()]
        sources = [None] * len(names)
        note = (
            f"The model sees {len(names)} principal components (PCA), each a mix of all columns, so its "
            "explanation cannot be given in your original column names. Choose the model-agnostic "
            "explainer to explain the whole pipeline in your column names."
        )
    return FeatureMap(tuple(names), tuple(sources), features, note)


def _group_sources(transformer: Any, columns: list[str], width: int) -> list[str | None]:
    """The source column of each output of one column-transformer part."""
    if len(columns) == 1:
        return [columns[0]] * width
    steps = transformer.steps if hasattr(transformer, "steps") else [("", transformer)]
    current: list[str] | None = list(columns)
    for _, step in steps:
        current = _step_sources(step, current)
        if current is None:
            break
    if current is None or len(current) != width:
        return [None] * width
    return list(current)


def _step_sources(step: Any, current: list[str]) -> list[str] | None:
    if isinstance(step, OneHotEncoder):
        counts = []
        for i, categories in enumerate(step.categories_):
            n = len(categories)
            infrequent = step.infrequent_categories_[i]
            if infrequent is not None:
                n = n - len(infrequent) + 1
            if step.drop_idx_ is not None and step.drop_idx_[i] is not None:
                n -= 1
            counts.append(n)
        return [c for c, n in zip(current, counts, strict=True) for _ in range(n)]
    if isinstance(step, TargetEncoder):
        per = len(step.classes_) if step.target_type_ == "multiclass" else 1
        return [c for c in current for _ in range(per)]
    if hasattr(step, "features_") and type(step).__name__ == "MissingIndicator":
        return [current[i] for i in step.features_]
    if type(step).__name__ == "DatetimeExpander":
        return [c for c in current for _ in step.parts]
    if isinstance(step, FunctionTransformer) and step.feature_names_out is None:
        return current
    try:
        out = [str(n) for n in step.get_feature_names_out(np.asarray(current, dtype=object))]
    except (AttributeError, ValueError, TypeError):
        return None
    if set(out) <= set(current):
        return out  # the same columns, possibly fewer (an imputer drops all-missing ones)
    return current if len(out) == len(current) else None


def model_step(pipeline: Any) -> Any:
    return pipeline.steps[-1][1]


def transform(pipeline: Any, X: pd.DataFrame) -> Any:
    """The model's input for these rows: every step but the model (resamplers skipped)."""
    out = X
    for _, step in pipeline.steps[:-1]:
        if step is None or isinstance(step, str) or hasattr(step, "fit_resample"):
            continue
        out = step.transform(out)
    return out


def dense(Z: Any) -> np.ndarray:
    return np.asarray(Z.toarray() if sparse.issparse(Z) else Z, dtype=float)
