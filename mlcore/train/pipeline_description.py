"""The pipeline in plain words and as scikit-learn's diagram, and the warnings worth reading before
training: what the Prepare and Train pages show of a `PrepSpec`."""

from __future__ import annotations

from typing import Any

from mlcore.dataset import Dataset
from mlcore.train.budget import BUDGET
from mlcore.train.prep import validate_prep, weights_by_oversampling
from mlcore.train.prep_spec import (
    CATEGORICAL_IMPUTE,
    CLIPS,
    ENCODINGS,
    IMBALANCE,
    K_BEST_SCORES,
    NUMERIC_IMPUTE,
    SCALERS,
    PrepSpec,
)
from mlcore.train.transformers import DATE_PARTS


def oversampling_note(dataset: Dataset, prep: PrepSpec, model_key: str | None) -> str:
    """The plain sentence for `weights_by_oversampling`, or ''."""
    if not weights_by_oversampling(dataset, prep, model_key):
        return ""
    from mlcore.train.models import get_model

    return (
        f"{get_model(dataset.task, model_key).name} takes no class weights, so the rarer classes were "
        "oversampled (rows repeated at random, in the training rows of each fold only) instead"
    )


def prep_notes(dataset: Dataset, prep: PrepSpec, model_key: str | None = None) -> list[str]:
    """Warnings worth showing before training (slow imputers, weights a model ignores)."""
    notes = []
    if prep.numeric.impute in ("knn", "iterative") and dataset.n_rows > BUDGET.slow_impute_rows:
        notes.append(
            f"{NUMERIC_IMPUTE[prep.numeric.impute].capitalize()} imputation is slow on "
            f"{dataset.n_rows:,} rows; median imputation is much faster."
        )
    if note := oversampling_note(dataset, prep, model_key):
        notes.append(note + ".")
    return notes


def describe_pipeline(dataset: Dataset, prep: PrepSpec, model_key: str | None = None) -> list[str]:
    """The pipeline in plain words, one line per step, for the Prepare page."""
    groups = validate_prep(dataset, prep)
    lines = []
    n, c = prep.numeric, prep.categorical
    if groups["numeric"]:
        fills = {
            "median": "the column's median",
            "mean": "the column's mean",
            "constant": f"the constant {n.fill_value:g}",
            "knn": "the average of the 5 most similar rows",
            "iterative": "values predicted from the other columns",
        }
        words = [f"fill missing values with {fills[n.impute]}"]
        if n.add_indicator:
            words.append("add a 'was missing' flag")
        if n.clip != "none":
            words.append(f"clip outliers at the {CLIPS[n.clip]}")
        if n.power:
            words.append("power-transform (Yeo-Johnson)")
        if n.scale != "none":
            words.append(f"scale: {SCALERS[n.scale]}")
        lines.append(f"Numbers ({len(groups['numeric'])}): " + ", ".join(words) + ".")
    if groups["boolean"]:
        lines.append(f"True/false ({len(groups['boolean'])}): as 1/0, missing filled with the most frequent.")
    if groups["categorical"]:
        encode = ENCODINGS[c.encode]
        if c.encode != "target" and (c.max_levels or c.min_frequency):
            limit = f"at most {c.max_levels} levels" if c.max_levels else f"levels seen ≥ {c.min_frequency}"
            encode += f" ({limit}; rarer levels grouped as 'infrequent')"
        lines.append(
            f"Categories ({len(groups['categorical'])}): fill missing values with "
            f"{CATEGORICAL_IMPUTE[c.impute]}; encoding: {encode}."
        )
    if groups["datetime"]:
        parts = ", ".join(DATE_PARTS[p] for p in prep.datetime.parts)
        lines.append(f"Dates ({len(groups['datetime'])}): split into {parts}.")
    if groups["text"]:
        lines.append(
            f"Text ({len(groups['text'])}): TF-IDF word weights, vocabulary of at most "
            f"{prep.text.max_features:,} words."
        )
    ignored = [i.name for i in dataset.columns if i.name not in dataset.features and i.name != dataset.target]
    if ignored:
        lines.append(
            f"Not used ({len(ignored)}): {', '.join(ignored[:8])}{' …' if len(ignored) > 8 else ''}."
        )
    if prep.variance_threshold is not None:
        lines.append(f"Drop features whose variance is at most {prep.variance_threshold:g}.")
    if prep.k_best is not None:
        lines.append(f"Keep the {prep.k_best} best features by {K_BEST_SCORES[prep.k_best_score]}.")
    if prep.pca_components is not None:
        lines.append(f"Project onto principal components (PCA, {prep.pca_components:g}).")
    if weights_by_oversampling(dataset, prep, model_key):
        lines.append(
            "Class imbalance: random oversampling, as this model takes no class weights (training rows only)."
        )
    elif prep.imbalance != "none":
        lines.append(f"Class imbalance: {IMBALANCE[prep.imbalance]} (training rows only).")
    if model_key and dataset.task is not None:
        from mlcore.train.models import get_model

        lines.append(f"Model: {get_model(dataset.task, model_key).name}.")
    lines.append(
        "Every step is fitted on the training rows of each fold only, never on validation or test rows."
    )
    return lines


def pipeline_html(pipeline: Any) -> str:
    """scikit-learn's interactive diagram of a pipeline, as HTML."""
    from sklearn.utils import estimator_html_repr

    return estimator_html_repr(pipeline)
