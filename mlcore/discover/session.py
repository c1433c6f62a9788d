"""Discover's work for a page: each analysis a background job, its settings and results kept per session.

Every analysis (clusters, how many clusters, a t-SNE map, anomalies) runs in a worker process
(`mlcore.compute.jobs`), so the page never blocks and a Stop ends it at once; results are kept in one
`ResultStore` by what they depend on (the data and its roles, the preprocessing, the settings and
the seed), so a rerun or a page switch finds them again. A clustering that finishes is tracked in
MLflow once, in the project of its data, as supervised runs are.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from mlcore.compute.jobs import Report
from mlcore.dataset import Dataset
from mlcore.discover.agreement import TargetAgreement, compare_with_target
from mlcore.discover.algorithms import CLUSTERINGS, DETECTORS, clustering
from mlcore.discover.anomalies import Anomalies, find_anomalies
from mlcore.discover.budget import BUDGET
from mlcore.discover.choose_k import KChoice, choose_k
from mlcore.discover.clustering import ClusterFit, fit_clusters
from mlcore.discover.dendrogram import Dendrogram, dendrogram
from mlcore.discover.errors import DiscoverError
from mlcore.discover.prepared import column_steps, prepare
from mlcore.discover.profiles import ClusterProfiles, describe_clusters
from mlcore.discover.projections import PcaSummary, Projection, pca_projection, tsne_projection
from mlcore.discover.silhouettes import Silhouettes, silhouette_values
from mlcore.results import Entry, ResultStore
from mlcore.schema import Task
from mlcore.train.prep_spec import PrepSpec

MAX_POINTS = 200_000  # PCA keeps this many rows' coordinates; the page draws as many as asked
RESULTS_KEPT = 12  # finished analyses kept per session (a million-row clustering holds its labels)
JOB_SECONDS = 900.0  # an analysis running longer is stopped and said so (presets keep them shorter)


@dataclass(frozen=True, eq=False)
class Discovery:
    """A clustering and everything the page shows of it, computed together in one worker."""

    fit: ClusterFit
    profiles: ClusterProfiles
    silhouettes: Silhouettes | None
    silhouette_problem: str  # why there are no silhouettes (a single cluster, say)
    agreement: TargetAgreement | None  # with a class target only
    tree: Dendrogram | None  # agglomerative clustering only
    columns: tuple[str, ...]  # the prepared columns, in words
    note: str  # feature columns left out, and why
    seconds: float

    @property
    def k(self) -> int:
        return len(self.fit.clusters)


def find_clusters(
    report: Report, dataset: Dataset, prep: PrepSpec, key: str, params: Mapping[str, Any], seed: int
) -> Discovery:
    """Prepare, fit, then describe: the worker behind the page's "Find clusters"."""
    began = time.perf_counter()
    algorithm = clustering(key)
    report({"progress": 0.05, "message": "preparing the features"})
    prepared = prepare(dataset, prep, seed)
    report({"progress": 0.2, "message": f"fitting {algorithm.name} on {prepared.n_rows:,} rows"})
    fit = fit_clusters(prepared, key, params, seed)
    report({"progress": 0.6, "message": "describing the clusters"})
    profiles = describe_clusters(dataset, fit.labels)
    try:
        silhouettes, problem = silhouette_values(prepared, fit.labels, seed), ""
    except DiscoverError as exc:
        silhouettes, problem = None, exc.message
    with_classes = dataset.target is not None and dataset.task is Task.CLASSIFICATION
    agreement = compare_with_target(dataset, fit.labels) if with_classes else None
    tree = (
        dendrogram(prepared, fit.params["linkage"], fit.params["n_clusters"], seed)
        if key == "agglomerative" and prepared.n_rows > fit.params["n_clusters"]
        else None
    )
    return Discovery(
        fit,
        profiles,
        silhouettes,
        problem,
        agreement,
        tree,
        prepared.columns,
        prepared.note,
        time.perf_counter() - began,
    )


def score_ks(
    report: Report,
    dataset: Dataset,
    prep: PrepSpec,
    key: str,
    ks: tuple[int, ...],
    params: Mapping[str, Any],
    seed: int,
) -> KChoice:
    report({"progress": 0.05, "message": "preparing the features"})
    prepared = prepare(dataset, prep, seed)
    report({"progress": 0.1, "message": f"fitting k = {ks[0]} to {ks[-1]} on {prepared.n_rows:,} rows"})
    return choose_k(prepared, key, ks, params, seed)


def project_pca(report: Report, dataset: Dataset, prep: PrepSpec, seed: int) -> PcaSummary:
    report({"progress": 0.1, "message": "preparing the features"})
    prepared = prepare(dataset, prep, seed)
    report({"progress": 0.5, "message": f"principal components of {prepared.n_rows:,} rows"})
    return pca_projection(prepared, seed, replace(BUDGET, plot_points=MAX_POINTS))


def map_rows(
    report: Report, dataset: Dataset, prep: PrepSpec, perplexity: float, dimensions: int, seed: int
) -> Projection:
    report({"progress": 0.05, "message": "preparing the features"})
    prepared = prepare(dataset, prep, seed)
    report({"progress": 0.1, "message": "t-SNE: placing neighbours near each other"})
    return tsne_projection(prepared, perplexity, dimensions, seed)


def score_anomalies(
    report: Report, dataset: Dataset, prep: PrepSpec, key: str, params: Mapping[str, Any], top: int, seed: int
) -> Anomalies:
    report({"progress": 0.05, "message": "preparing the features"})
    prepared = prepare(dataset, prep, seed)
    report({"progress": 0.2, "message": f"scoring {prepared.n_rows:,} rows"})
    return find_anomalies(dataset, prepared, key, params, top, seed)


def data_key(dataset: Dataset) -> tuple:
    """What every analysis of a dataset depends on: its rows, and the columns' roles and types."""
    return (
        dataset.content_hash,
        dataset.target,
        tuple((c.name, c.ctype.value, c.role.value) for c in dataset.columns),
    )


def _frozen(params: Mapping[str, Any]) -> tuple:
    return tuple(sorted(params.items()))


@dataclass
class DiscoverSession:
    """One session's Discover settings and analyses (results, errors and running jobs)."""

    algorithm: str = CLUSTERINGS[0].key
    detector: str = DETECTORS[0].key
    top: int = 10  # the most anomalous rows listed
    params: dict[str, dict[str, Any]] = field(default_factory=dict)  # by algorithm: settings changed
    results: ResultStore[Any] = field(default_factory=lambda: ResultStore(max_entries=RESULTS_KEPT))
    tracked: set[tuple] = field(default_factory=set)  # clusterings handed to the recorder

    def settings(self, key: str) -> dict[str, Any]:
        return dict(self.params.get(key, {}))

    def set_param(self, key: str, name: str, value: Any, defaults: Mapping[str, Any]) -> None:
        """Keep only the settings that differ from the defaults (as the Train page does)."""
        changed = {**self.settings(key), name: value}
        self.params[key] = {n: v for n, v in changed.items() if defaults.get(n) != v}

    # ---------- the analyses: a key each, started and polled alike ----------

    def clusters_key(self, dataset: Dataset, prep: PrepSpec, seed: int) -> tuple:
        return (
            "clusters",
            data_key(dataset),
            column_steps(prep),
            self.algorithm,
            _frozen(self.settings(self.algorithm)),
            seed,
        )

    def start_clusters(self, dataset: Dataset, prep: PrepSpec, seed: int) -> None:
        key = self.clusters_key(dataset, prep, seed)
        self._start(key, find_clusters, dataset, prep, self.algorithm, self.settings(self.algorithm), seed)

    def ks_key(self, dataset: Dataset, prep: PrepSpec, seed: int, ks: tuple[int, ...]) -> tuple:
        return (
            "ks",
            data_key(dataset),
            column_steps(prep),
            self.algorithm,
            _frozen(self._settings_but_k()),
            seed,
            ks,
        )

    def start_ks(self, dataset: Dataset, prep: PrepSpec, seed: int, ks: tuple[int, ...]) -> None:
        key = self.ks_key(dataset, prep, seed, ks)
        self._start(key, score_ks, dataset, prep, self.algorithm, ks, self.settings(self.algorithm), seed)

    def pca_key(self, dataset: Dataset, prep: PrepSpec, seed: int) -> tuple:
        return ("pca", data_key(dataset), column_steps(prep), seed)

    def start_pca(self, dataset: Dataset, prep: PrepSpec, seed: int) -> None:
        self._start(self.pca_key(dataset, prep, seed), project_pca, dataset, prep, seed)

    def tsne_key(
        self, dataset: Dataset, prep: PrepSpec, seed: int, perplexity: float, dimensions: int
    ) -> tuple:
        return ("tsne", data_key(dataset), column_steps(prep), perplexity, dimensions, seed)

    def start_tsne(
        self, dataset: Dataset, prep: PrepSpec, seed: int, perplexity: float, dimensions: int
    ) -> None:
        key = self.tsne_key(dataset, prep, seed, perplexity, dimensions)
        self._start(key, map_rows, dataset, prep, perplexity, dimensions, seed)

    def anomalies_key(self, dataset: Dataset, prep: PrepSpec, seed: int) -> tuple:
        settings = _frozen(self.settings(self.detector))
        return ("anomalies", data_key(dataset), column_steps(prep), self.detector, settings, self.top, seed)

    def start_anomalies(self, dataset: Dataset, prep: PrepSpec, seed: int) -> None:
        key = self.anomalies_key(dataset, prep, seed)
        settings = self.settings(self.detector)
        self._start(key, score_anomalies, dataset, prep, self.detector, settings, self.top, seed)

    def poll(self, key: tuple) -> Entry[Any]:
        return self.results.poll(key)

    def stop(self, key: tuple) -> None:
        self.results.stop(key)

    def _start(self, key: tuple, fn: Callable[..., Any], *args: Any) -> None:
        """Start the analysis under `key`, stopping one of the same kind started for other settings
        or data: at most one job per kind runs for a session, whatever the user changed meanwhile."""
        for running in self.results.running:
            if running[0] == key[0] and running != key:
                self.results.stop(running)
        self.results.start(key, fn, *args, time_budget=JOB_SECONDS)

    def _settings_but_k(self) -> dict[str, Any]:
        """The algorithm's settings less its number of clusters, which choosing k sets for each k."""
        k = clustering(self.algorithm).k_param
        return {n: v for n, v in self.settings(self.algorithm).items() if n != k}

    def newly_finished(self, key: tuple) -> bool:
        """True once per finished clustering: the moment to track it."""
        if key in self.tracked:
            return False
        self.tracked.add(key)
        return True
