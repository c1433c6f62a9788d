"""Fitting a clustering: the prepared matrix through one estimator, kept as one scikit-learn pipeline.

The pipeline (the fitted ColumnTransformer + the fitted estimator) is the unit that is exported, and
`labels` are what `pipeline.fit_predict` gives on the dataset's rows with the same seed. Fitting does
nothing else: profiles, silhouettes and scores are computed apart, so the fit costs what the
estimator costs. An algorithm with a row cap is fitted on a stated random sample; every other row then
joins the cluster of its nearest fitted row (for DBSCAN, of its nearest core row within the radius,
else noise: DBSCAN's own rule for a row it has not seen).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from sklearn.neighbors import NearestNeighbors
from sklearn.pipeline import Pipeline

from mlcore.discover.algorithms import Algorithm, clustering
from mlcore.discover.budget import BUDGET, DiscoverBudget
from mlcore.discover.errors import DiscoverError
from mlcore.discover.prepared import Prepared, sample_rows, sampled
from mlcore.formatting import number, plural

NOISE = -1  # the label of rows in no cluster
CHUNK_ROWS = 100_000  # rows outside a sample are matched to their nearest fitted row this many at a time


@dataclass(frozen=True, eq=False)
class ClusterFit:
    """A fitted clustering: the pipeline, every row's cluster and how it was fitted."""

    algorithm: str  # the key of `algorithms.CLUSTERINGS`
    estimator_name: str  # the estimator's class, e.g. MiniBatchKMeans on a large table
    params: Mapping[str, Any]  # resolved settings
    seed: int
    pipeline: Pipeline  # ("prep", fitted ColumnTransformer), ("cluster", fitted estimator)
    labels: np.ndarray  # every row's cluster; `NOISE` for rows in none
    fitted_rows: np.ndarray | None  # positions of the rows the estimator was fitted on (None: every row)
    note: str = ""

    @property
    def clusters(self) -> np.ndarray:
        """The cluster labels, noise left out."""
        return np.unique(self.labels[self.labels != NOISE])

    @property
    def n_noise(self) -> int:
        return int(np.count_nonzero(self.labels == NOISE))


def cluster_name(label: int) -> str:
    """'cluster 2', or 'noise': the name a cluster goes by in charts and sentences."""
    return "noise" if label == NOISE else f"cluster {label}"


def cluster_order(labels: np.ndarray) -> list[int]:
    """The labels present, clusters in label order, then noise."""
    return sorted((int(v) for v in np.unique(labels)), key=lambda label: (label == NOISE, label))


def cluster_labels(labels: np.ndarray) -> pd.Series:
    """Every row's cluster by name, as an ordered category (clusters by label, then noise) for colouring."""
    labels = np.asarray(labels)
    order = cluster_order(labels)
    names = np.where(labels == NOISE, cluster_name(NOISE), np.char.add("cluster ", labels.astype(str)))
    return pd.Series(pd.Categorical(names, categories=[cluster_name(label) for label in order]))


def checked_labels(labels: np.ndarray, n_rows: int) -> np.ndarray:
    """`labels` as an array, refused unless there is one per row and some row is in a cluster."""
    labels = np.asarray(labels)
    if len(labels) != n_rows:
        raise DiscoverError(
            f"There are {plural(len(labels), 'cluster label')} for {plural(n_rows, 'row')}.",
            "Use the labels of a clustering of this same table.",
        )
    if not np.any(labels != NOISE):
        raise DiscoverError("Every row is noise: there is no cluster to look at.", "Fit the clusters again.")
    return labels


def fit_clusters(
    prepared: Prepared,
    key: str,
    params: Mapping[str, Any] | None = None,
    seed: int = 0,
    budget: DiscoverBudget = BUDGET,
) -> ClusterFit:
    """Fit the algorithm `key` with these settings on the prepared rows (a sample if it is capped)."""
    algorithm = clustering(key)
    values = algorithm.resolve(params)
    n_rows = prepared.n_rows
    check_cluster_count(algorithm, values, n_rows)
    rows = fitting_rows(algorithm, n_rows, seed, budget)
    fitted = prepared.matrix if rows is None else prepared.matrix[rows]
    check_neighbourhood(algorithm, values, len(fitted))
    estimator = algorithm.build(values, seed, n_rows, budget)
    labels = estimator.fit_predict(fitted)
    if not np.any(labels != NOISE):
        raise _all_noise(algorithm, values, fitted)
    note = fitting_note(algorithm, n_rows, rows, budget)
    if rows is not None:
        labels = _label_the_rest(estimator, fitted, labels, prepared.matrix, rows)
        nearest = "core row within the radius (else noise)" if algorithm.key == "dbscan" else "fitted row"
        note += f" Every other row joined the cluster of its nearest {nearest}."
    pipeline = Pipeline([("prep", prepared.preprocessor), ("cluster", estimator)])
    return ClusterFit(key, type(estimator).__name__, values, seed, pipeline, labels, rows, note)


def fitting_rows(algorithm: Algorithm, n_rows: int, seed: int, budget: DiscoverBudget) -> np.ndarray | None:
    """The sample an algorithm with a row cap is fitted on; None when it is fitted on every row."""
    cap = algorithm.row_cap(budget)
    return sample_rows(n_rows, cap, seed) if cap is not None and n_rows > cap else None


def check_cluster_count(algorithm: Algorithm, values: Mapping[str, Any], n_rows: int) -> None:
    """Refuse more clusters than rows (an algorithm that finds the number itself always passes)."""
    k = values.get(algorithm.k_param) if algorithm.k_param else None
    if k is not None and k > n_rows:
        raise DiscoverError(
            f"{plural(k, 'cluster')} were asked for, but the table has only {plural(n_rows, 'row')}.",
            f"Ask for at most {n_rows:,} clusters, or load more rows.",
        )


def check_neighbourhood(algorithm: Algorithm, values: Mapping[str, Any], n_fitted: int) -> None:
    """Refuse an HDBSCAN that counts more neighbours than the rows it is fitted on (scikit-learn would
    raise its own error); its neighbours are the smallest cluster size unless set apart."""
    if algorithm.key != "hdbscan":
        return
    name = "min_samples" if values["min_samples"] is not None else "min_cluster_size"
    if values[name] > n_fitted:
        label = next(p.label for p in algorithm.params if p.name == name)
        raise DiscoverError(
            f"HDBSCAN's '{label}' is {values[name]:,}, but it is fitted on only {plural(n_fitted, 'row')}.",
            f"Set '{label}' to at most {n_fitted:,}.",
        )


def fitting_note(algorithm: Algorithm, n_rows: int, rows: np.ndarray | None, budget: DiscoverBudget) -> str:
    """What was fitted on what, when it is not the named algorithm on every row."""
    notes = []
    if rows is not None:
        notes.append(
            f"{algorithm.name} was fitted on {sampled(len(rows), n_rows)}, since {algorithm.why_capped}."
        )
    if algorithm.uses_large_recipe(n_rows, budget):
        notes.append(
            f"Mini-batch k-means: with {n_rows:,} rows (more than {budget.minibatch_rows:,}) it learns from "
            "small random batches of rows, far faster and nearly as exact."
        )
    return " ".join(notes)


def _label_the_rest(
    estimator: Any, fitted: np.ndarray, fitted_labels: np.ndarray, matrix: np.ndarray, rows: np.ndarray
) -> np.ndarray:
    """Every row's label: the fitted rows keep theirs, the others take their nearest anchor's."""
    cores = getattr(estimator, "core_sample_indices_", None)  # DBSCAN: only core rows anchor a cluster
    anchors = fitted if cores is None else fitted[cores]
    anchor_labels = fitted_labels if cores is None else fitted_labels[cores]
    search = NearestNeighbors(n_neighbors=1).fit(anchors)
    labels = np.full(len(matrix), NOISE, dtype=fitted_labels.dtype)
    labels[rows] = fitted_labels
    rest = np.setdiff1d(np.arange(len(matrix)), rows, assume_unique=True)
    for start in range(0, len(rest), CHUNK_ROWS):
        chunk = rest[start : start + CHUNK_ROWS]
        distance, nearest = search.kneighbors(matrix[chunk])
        found = anchor_labels[nearest[:, 0]]
        if cores is not None:
            found = np.where(distance[:, 0] <= estimator.eps, found, NOISE)
        labels[chunk] = found
    return labels


def _all_noise(algorithm: Algorithm, values: Mapping[str, Any], fitted: np.ndarray) -> DiscoverError:
    """Every row is noise: say so, with the radius this table would need (DBSCAN) or a smaller size."""
    if algorithm.key != "dbscan":
        return DiscoverError(
            f"{algorithm.name} found no cluster of at least {plural(values['min_cluster_size'], 'row')}: "
            "every row is noise.",
            "Lower the smallest cluster size, or the neighbours of a core row.",
        )
    neighbours = min(values["min_samples"], len(fitted))
    distances, _ = NearestNeighbors(n_neighbors=neighbours).fit(fitted).kneighbors(fitted)
    typical = float(np.median(distances[:, -1]))
    return DiscoverError(
        f"DBSCAN put every row in noise: no row has {plural(values['min_samples'], 'row')} (itself "
        f"included) within eps = {number(values['eps'])} of it.",
        f"Use a larger eps, e.g. {number(typical, 3)}: half of the rows have {plural(neighbours, 'row')} "
        "within that distance. Or ask for fewer neighbours of a core row.",
    )
