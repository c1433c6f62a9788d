"""Typed errors for preparing and training, and plain-language explanations of model failures.

Input problems (no features, too few rows per class for the folds) are raised before any worker
starts, so the page can show them at once; a model that raises while fitting never stops the other
models: its exception becomes a failed run with a message from `explain_failure`.
"""

from __future__ import annotations

from mlcore.errors import MLCoreError


class TrainInputError(MLCoreError):
    """The data or settings cannot be trained on as they are."""


class NoFeaturesError(TrainInputError):
    """Every column is ignored, an identifier or the target: nothing is left to learn from."""


class TooManyLevelsError(TrainInputError):
    """One-hot encoding was chosen for a column with so many levels it would explode the table."""


class FoldError(TrainInputError):
    """The split cannot be made: a class has fewer rows than folds, too few groups, a tiny holdout."""


class PrepError(TrainInputError):
    """A preprocessing option does not fit the data or task."""


class UnknownModelError(TrainInputError):
    """A model key that the registry does not have for this task."""


class ParamError(TrainInputError):
    """A hyperparameter value outside its allowed range or choices."""


_KNOWN = (
    ("No feature in X meets the variance threshold", "Every feature was removed by the variance threshold."),
    ("Input X contains NaN", "Some values are still missing after preprocessing."),
    ("Input contains NaN", "Some values are still missing after preprocessing."),
    ("could not convert string to float", "A text value reached a model that needs numbers."),
    ("n_neighbors", "There are fewer training rows than neighbours asked for."),
    ("Expected n_neighbors <= n_samples", "There are fewer training rows than neighbours asked for."),
    ("needs samples of at least 2 classes", "A training fold contains only one class."),
    ("Unable to allocate", "The model ran out of memory."),
)


def explain_failure(exc: BaseException) -> str:
    """A one-line, plain reason for a model failure (the exception text is kept for the curious)."""
    if isinstance(exc, MLCoreError):
        return exc.message
    if isinstance(exc, MemoryError):
        return "The model ran out of memory; train it on a sample or with simpler settings."
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    for needle, plain in _KNOWN:
        if needle in text:
            return f"{plain} ({type(exc).__name__}: {text[:200]})"
    return f"The model raised an error: {type(exc).__name__}: {text[:300]}"
