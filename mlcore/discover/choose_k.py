"""How many clusters: every k of a range scored several ways, and one recommended with its reason.

The silhouette (how much closer rows are to their own cluster than to the next) decides, since it is
the one score that compares cluster counts fairly on its own; the elbow of the within-cluster sum of
squares, Calinski–Harabasz, Davies–Bouldin and, for mixtures, BIC are the supporting evidence, and
the sentence says when they disagree. Every score but the silhouette uses every fitted row; the
silhouette, which compares every pair of rows, uses one stated random sample for all k.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import sparse
from sklearn.metrics import calinski_harabasz_score, davies_bouldin_score, silhouette_score

from mlcore.discover.algorithms import clustering
from mlcore.discover.budget import BUDGET, DiscoverBudget
from mlcore.discover.clustering import fitting_note, fitting_rows
from mlcore.discover.errors import DiscoverError
from mlcore.discover.prepared import Prepared, sample_rows, sampled
from mlcore.formatting import number

DEFAULT_KS = range(2, 11)
# Kaufman and Rousseeuw's reading of the mean silhouette: (lowest value, words)
SILHOUETTE_WORDS = ((0.7, "strong structure"), (0.5, "reasonable structure"), (0.25, "weak structure"))
CRITERIA = {  # score: (name, whether higher is better)
    "wcss": ("within-cluster sum of squares", False),
    "silhouette": ("silhouette", True),
    "calinski_harabasz": ("Calinski–Harabasz", True),
    "davies_bouldin": ("Davies–Bouldin", False),
    "bic": ("BIC", False),
}


@dataclass(frozen=True)
class KScore:
    """The scores of one k (BIC only for mixtures, NaN otherwise)."""

    k: int
    wcss: float  # within-cluster sum of squares, k-means' inertia: falls with every k, bends at the elbow
    silhouette: float  # −1 to 1, higher is better; NaN when the sample holds one cluster
    calinski_harabasz: float  # between- over within-cluster spread, higher is better
    davies_bouldin: float  # each cluster's similarity to its closest other, lower is better
    bic: float = math.nan  # a mixture's fit penalised by its size, lower is better


@dataclass(frozen=True)
class KChoice:
    """The scores of every k tried, the recommended k and the elbow, and why in one sentence."""

    algorithm: str
    scores: tuple[KScore, ...]
    recommended: int
    elbow: int
    best: Mapping[str, int]  # each score's preferred k (the elbow for the sum of squares)
    reason: str
    note: str = ""  # the rows fitted and the silhouette's sample

    @property
    def ks(self) -> list[int]:
        return [s.k for s in self.scores]


def choose_k(
    prepared: Prepared,
    key: str = "kmeans",
    ks: Iterable[int] = DEFAULT_KS,
    params: Mapping[str, Any] | None = None,
    seed: int = 0,
    budget: DiscoverBudget = BUDGET,
) -> KChoice:
    """Fit the algorithm `key` (one with a number of clusters) for each k and recommend one."""
    algorithm = clustering(key)
    if algorithm.k_param is None:
        raise DiscoverError(
            f"{algorithm.name} finds the number of clusters by itself.",
            "Choose k for k-means, agglomerative clustering or a Gaussian mixture.",
        )
    ks = sorted(set(ks))
    if len(ks) < 3 or ks[0] < 2:
        raise DiscoverError(
            "Choosing k needs at least three values of k, each at least 2.", "Try k from 2 to 10."
        )
    rows = fitting_rows(algorithm, prepared.n_rows, seed, budget)
    fitted = prepared.matrix if rows is None else prepared.matrix[rows]
    if ks[-1] >= len(fitted):  # a silhouette needs fewer clusters than rows
        raise DiscoverError(
            f"Trying up to {ks[-1]} clusters needs more than {ks[-1]} rows; there are {len(fitted):,}.",
            f"Try k up to {len(fitted) - 1:,} at most, or load more rows.",
        )
    probe = sample_rows(len(fitted), budget.silhouette_rows, seed)
    scores = []
    for k in ks:
        values = algorithm.resolve({**(params or {}), algorithm.k_param: k})
        estimator = algorithm.build(values, seed, prepared.n_rows, budget)
        labels = estimator.fit_predict(fitted)
        scores.append(
            _score(k, fitted, labels, probe, estimator.bic(fitted) if key == "gaussian_mixture" else None)
        )
    notes = [fitting_note(algorithm, prepared.n_rows, rows, budget)]
    if len(probe) < len(fitted):
        notes.append(f"Silhouettes use {sampled(len(probe), len(fitted))}.")
    return _recommend(key, tuple(scores), " ".join(n for n in notes if n))


def _score(k: int, X: np.ndarray, labels: np.ndarray, probe: np.ndarray, bic: float | None) -> KScore:
    found = len(np.unique(labels))
    in_probe = len(np.unique(labels[probe]))
    return KScore(
        k,
        within_sum_of_squares(X, labels),
        float(silhouette_score(X[probe], labels[probe])) if 2 <= in_probe < len(probe) else math.nan,
        float(calinski_harabasz_score(X, labels)) if found > 1 else math.nan,
        float(davies_bouldin_score(X, labels)) if found > 1 else math.nan,
        math.nan if bic is None else float(bic),
    )


def within_sum_of_squares(X: np.ndarray, labels: np.ndarray) -> float:
    """Σ over clusters of squared distances to the cluster mean: the means, then each row's distance to
    its own (Σ‖x‖² − Σ n_c ‖mean_c‖² in one pass cancels to nothing on large unscaled values)."""
    _, codes = np.unique(labels, return_inverse=True)
    members = sparse.csr_matrix((np.ones(len(codes)), (codes, np.arange(len(codes)))))
    counts = np.asarray(members.sum(axis=1)).ravel()
    residuals = (members @ X / counts[:, None])[codes]
    np.subtract(X, residuals, out=residuals)
    return float(np.einsum("ij,ij->", residuals, residuals))


def elbow(ks: list[int], wcss: list[float]) -> int:
    """The k where the falling sum-of-squares curve bends most: farthest below the chord joining its
    ends once both axes are scaled to 0–1 (the "kneedle" rule)."""
    x = (np.asarray(ks, float) - ks[0]) / (ks[-1] - ks[0])
    y = np.asarray(wcss, float)
    span = y.max() - y.min()
    y = (y - y.min()) / span if span > 0 else np.zeros_like(y)
    chord = y[0] + (y[-1] - y[0]) * x
    return ks[int(np.argmax(chord - y))]


def _preferred(scores: tuple[KScore, ...], field: str) -> int | None:
    values = np.array([getattr(s, field) for s in scores], float)
    if np.all(np.isnan(values)):
        return None
    higher = CRITERIA[field][1]
    return scores[int(np.nanargmax(values) if higher else np.nanargmin(values))].k


def _recommend(key: str, scores: tuple[KScore, ...], note: str) -> KChoice:
    ks = [s.k for s in scores]
    knee = elbow(ks, [s.wcss for s in scores])
    best = {"wcss": knee} | {
        f: k
        for f in ("silhouette", "calinski_harabasz", "davies_bouldin", "bic")
        if (k := _preferred(scores, f))
    }
    lead = "silhouette" if "silhouette" in best else "calinski_harabasz"
    chosen = best[lead]
    return KChoice(key, scores, chosen, knee, best, _reason(scores, best, lead), note)


def _reason(scores: tuple[KScore, ...], best: Mapping[str, int], lead: str) -> str:
    """'k = 4: the best silhouette (0.79, strong structure); the elbow, … agree.' or, when the other
    scores point elsewhere, which do and that the evidence is mixed."""
    chosen = best[lead]
    value = next(getattr(s, lead) for s in scores if s.k == chosen)
    head = f"k = {chosen}: the best {CRITERIA[lead][0]} ({number(value, 2)}"
    head += (
        f", {_silhouette_words(value)})" if lead == "silhouette" else "; silhouettes could not be computed)"
    )
    names = {"wcss": "the elbow"} | {f: CRITERIA[f][0] for f in CRITERIA if f != "wcss"}
    others = [f for f in best if f != lead]
    agree = [names[f] for f in others if best[f] == chosen]
    differ = [
        f"{names[f]} {'is at' if f == 'wcss' else 'prefers'} {best[f]}" for f in others if best[f] != chosen
    ]
    if not differ:
        return f"{head}; {_listed(agree)} {'agrees' if len(agree) == 1 else 'agree'}."
    support = f"{_listed(agree)} {'agrees' if len(agree) == 1 else 'agree'}, but " if agree else "but "
    return f"{head}; {support}{_listed(differ)}, so the evidence is mixed: compare the clusters of these k."


def _silhouette_words(value: float) -> str:
    return next((words for low, words in SILHOUETTE_WORDS if value > low), "little structure")


def _listed(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]
