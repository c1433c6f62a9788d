"""The dataset's feature columns through Prepare's per-column steps, computed once for every analysis.

Clustering, choosing k, projections and anomalies all read one matrix: the ColumnTransformer that
`mlcore.train.prep` builds for a `PrepSpec`, fitted on every row. Only the per-column part of the spec
applies; choosing features by the target, resampling and PCA are training steps (Discover's own
projections live in `projections`). The target, if any, is never a feature. The output is always
dense, so that every algorithm accepts it.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
from sklearn.compose import ColumnTransformer
from sklearn.pipeline import Pipeline

from mlcore.dataset import Dataset, set_role
from mlcore.discover.errors import DiscoverError
from mlcore.explain.features import feature_map
from mlcore.formatting import plural
from mlcore.schema import Role
from mlcore.train.errors import NoFeaturesError
from mlcore.train.prep import build_preprocessor
from mlcore.train.prep_spec import PrepSpec

_JOINERS = {"categorical": " = ", "datetime": " "}  # "region = north", "when month"; text: "review: word"


@dataclass(frozen=True, eq=False)
class Prepared:
    """The preprocessed feature matrix and the fitted preprocessing that made it."""

    matrix: np.ndarray  # rows × transformed columns, float64, C order
    preprocessor: ColumnTransformer  # fitted on every row; the first step of every pipeline made here
    columns: tuple[str, ...]  # each matrix column in words: "age", "region = north", "income is missing"
    sources: tuple[str, ...]  # the original column each matrix column comes from
    note: str = ""  # feature columns left out, and why

    @property
    def n_rows(self) -> int:
        return self.matrix.shape[0]


def prepare(dataset: Dataset, prep: PrepSpec | None = None, seed: int = 0) -> Prepared:
    """Fit Prepare's per-column steps on every row of the dataset's features and keep the matrix."""
    prep = prep or PrepSpec()
    if dataset.n_rows == 0:
        raise DiscoverError("The table has no rows.", "Load a table with some rows.")
    if prep.categorical.encode == "target":
        raise DiscoverError(
            "Target encoding needs the target, and Discover looks at the features alone.",
            "Encode categories one-hot or as ordinal numbers for Discover.",
        )
    empty = [n for n in dataset.features if not dataset.frame[n].notna().any()]
    if empty and len(empty) == len(dataset.features):
        raise DiscoverError(
            "No feature column holds a value: every value is missing.",
            "Choose columns with values as features on the Data page.",
        )
    for name in empty:
        dataset = set_role(dataset, name, Role.IGNORE)
    per_column = column_steps(prep)
    try:
        preprocessor = build_preprocessor(dataset, per_column, seed)
    except NoFeaturesError:
        raise DiscoverError(
            "No column can be used: every column is the target, an identifier or ignored.",
            "On the Data page, set at least one number or category column's role to 'feature'.",
        ) from None
    preprocessor.set_params(sparse_threshold=0.0)
    matrix = np.asarray(
        preprocessor.fit_transform(dataset.frame[dataset.features]), dtype=np.float64, order="C"
    )
    if (matrix == matrix[0]).all():
        raise DiscoverError(
            f"All {plural(dataset.n_rows, 'row')} are the same once prepared: there is no structure to find.",
            "Use more feature columns, or a table whose rows differ.",
        )
    names = [str(n) for n in preprocessor.get_feature_names_out()]
    sources = feature_map(Pipeline([("prep", preprocessor)])).sources
    return Prepared(
        matrix,
        preprocessor,
        tuple(_readable(n, s) for n, s in zip(names, sources, strict=True)),
        tuple(s or n.partition("__")[2] for n, s in zip(names, sources, strict=True)),
        f"Left out for having no value: {', '.join(empty)}." if empty else "",
    )


def column_steps(prep: PrepSpec) -> PrepSpec:
    """The part of a `PrepSpec` Discover applies: the per-column steps, without the training steps
    (choosing features by the target, resampling, PCA), so results and their records depend on no
    setting that was not used."""
    return replace(prep, variance_threshold=None, k_best=None, pca_components=None, imbalance="none")


def _readable(name: str, source: str | None) -> str:
    """'categorical__region_north' from 'region' → 'region = north'; 'numeric__age' → 'age'."""
    group, _, rest = name.partition("__")
    if source is None or rest == source:
        return rest
    if group == "missing":
        return f"{source} is missing"
    return source + _JOINERS.get(group, ": ") + rest.removeprefix(source + "_")


def sample_rows(n_rows: int, size: int, seed: int) -> np.ndarray:
    """Sorted positions of a uniform random sample of `size` rows (every row when there are fewer)."""
    if n_rows <= size:
        return np.arange(n_rows)
    return np.sort(np.random.default_rng(seed).choice(n_rows, size, replace=False))


def sampled(used: int, total: int) -> str:
    """'a random sample of 5,000 of 100,000 rows', for the notes that state a sample."""
    return f"a random sample of {used:,} of {plural(total, 'row')}"
