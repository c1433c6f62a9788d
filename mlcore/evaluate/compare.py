"""Comparing runs side by side: holdout and CV tables, per-class reports, fold scores, and whether
the leader's margin over the runner-up is larger than the noise between folds.

Everything is computed from finished runs and their cached `RunEvaluation`s; nothing refits.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from mlcore.evaluate.holdout import RunEvaluation, display_names
from mlcore.metrics import METRICS, evaluation_metrics_for
from mlcore.train.runs import Run

TIE = 1e-12  # scores closer than this are equal (float noise, not a difference)


def holdout_table(evaluations: list[RunEvaluation]) -> pd.DataFrame:
    """Holdout metrics side by side: one row per metric, one column per run, and the best run per row
    when there are several."""
    if not evaluations:
        return pd.DataFrame()
    names = display_names([e.run for e in evaluations])
    keys = evaluation_metrics_for(evaluations[0].run.task)
    table = pd.DataFrame(
        {names[e.run.id]: [e.metrics.get(k, np.nan) for k in keys] for e in evaluations},
        index=pd.Index([METRICS[k].label for k in keys], name="metric"),
    )
    if len(evaluations) > 1:  # with one run, "best" would only repeat its name
        table["best"] = [_best_name(table.iloc[i], METRICS[k].greater_is_better) for i, k in enumerate(keys)]
    return table


def class_report_table(evaluations: list[RunEvaluation]) -> pd.DataFrame:
    """Every run's per-class report in one table, grouped by class so the models sit next to each other."""
    names = display_names([e.run for e in evaluations])
    parts = [e.report.assign(model=names[e.run.id], order=i) for i, e in enumerate(evaluations)]
    table = pd.concat(parts, ignore_index=True)
    classes = list(dict.fromkeys(table["class"]))
    table["class_order"] = table["class"].map(classes.index)
    table = table.sort_values(["class_order", "order"], kind="stable")
    return table[["class", "model", "precision", "recall", "F1", "support"]].reset_index(drop=True)


def cv_summary(runs: list[Run]) -> pd.DataFrame:
    """Cross-validation mean, standard deviation and fold count per run and metric (long format)."""
    names = display_names(runs)
    rows = [
        {
            "model": names[run.id],
            "metric": key,
            "mean": run.cv_mean.get(key, np.nan),
            "std": run.cv_std.get(key, np.nan),
            "folds": len(run.fold_scores.get(key, ())),
        }
        for run in runs
        for key in METRICS
        if key in run.fold_scores
    ]
    return pd.DataFrame(rows, columns=["model", "metric", "mean", "std", "folds"])


def cv_table(runs: list[Run]) -> pd.DataFrame:
    """CV scores side by side as "mean ± std", one row per metric, and the best run by mean when there
    are several."""
    summary = cv_summary(runs)
    if summary.empty:
        return pd.DataFrame()
    summary["text"] = [
        "—" if np.isnan(m) else f"{m:.4f} ± {s:.4f}"
        for m, s in zip(summary["mean"], summary["std"], strict=True)
    ]
    keys = list(dict.fromkeys(summary["metric"]))
    text = summary.pivot(index="metric", columns="model", values="text").reindex(index=keys)
    means = summary.pivot(index="metric", columns="model", values="mean").reindex(index=keys)
    order = list(dict.fromkeys(summary["model"]))
    text = text[order]
    if len(order) > 1:
        text["best"] = [_best_name(means.loc[k], METRICS[k].greater_is_better) for k in keys]
    text.index = pd.Index([METRICS[k].label for k in keys], name="metric")
    return text


def _best_name(values: pd.Series, greater_is_better: bool) -> str:
    """The run with the best value; every run sharing it when several tie."""
    numbers = pd.to_numeric(values, errors="coerce").dropna()
    if numbers.empty:
        return "—"
    best = numbers.max() if greater_is_better else numbers.min()
    return " = ".join(str(name) for name in numbers.index[np.abs(numbers - best) <= TIE])


def fold_scores(runs: list[Run], metric: str) -> dict[str, tuple[float, ...]]:
    """Each run's score on every CV fold for `metric`, by display name (runs without CV left out)."""
    names = display_names(runs)
    return {names[r.id]: r.fold_scores[metric] for r in runs if r.fold_scores.get(metric)}


@dataclass(frozen=True)
class FoldComparison:
    """Whether the leader's margin over the runner-up is larger than the fold-to-fold noise.

    Both runs were scored on the same folds, so the per-fold differences are paired.
    """

    leader: str
    runner_up: str
    metric: str
    differences: np.ndarray  # leader − runner-up per fold, signed so that positive favours the leader

    @property
    def wins(self) -> int:
        return int((self.differences > TIE).sum())

    @property
    def losses(self) -> int:
        return int((self.differences < -TIE).sum())

    @property
    def mean(self) -> float:
        return float(self.differences.mean())

    @property
    def standard_error(self) -> float:
        n = len(self.differences)
        return float(self.differences.std(ddof=1) / np.sqrt(n)) if n > 1 else float("nan")

    @property
    def clear(self) -> bool:
        """A lead of more than two standard errors of the paired differences."""
        return bool(self.mean > 2 * self.standard_error)

    def sentence(self) -> str:
        label = METRICS[self.metric].label
        n = len(self.differences)
        verdict = (
            "larger than the fold-to-fold noise, so the lead is probably real"
            if self.clear
            else "not larger than the fold-to-fold noise, so the two may be equally good"
        )
        return (
            f"{self.leader} leads {self.runner_up} by {self.mean:.4f} {label} on average over the same "
            f"{n} folds (better on {self.wins}, worse on {self.losses}, equal on "
            f"{n - self.wins - self.losses}); the lead is {verdict} "
            f"(two standard errors: {2 * self.standard_error:.4f})."
        )


NOT_COMPARABLE = (
    "These models were trained with different splits or seeds, so their holdout rows and folds differ: "
    "part of a difference in scores may come from the rows rather than the models."
)


def comparable(runs: list[Run]) -> bool:
    """Whether the runs were scored on the same rows: the same data, target, split and seed (so the same
    holdout and the same folds). Scores of runs that are not can differ for the rows' sake alone."""
    return len({(r.dataset_hash, r.target, r.split, r.seed) for r in runs}) <= 1


def compare_folds(leader: Run, runner_up: Run, metric: str) -> FoldComparison | None:
    """The paired fold comparison, or None when the runs were not scored on the same folds."""
    a, b = leader.fold_scores.get(metric, ()), runner_up.fold_scores.get(metric, ())
    if not comparable([leader, runner_up]) or len(a) < 2 or len(a) != len(b):
        return None
    sign = 1.0 if METRICS[metric].greater_is_better else -1.0
    diff = sign * (np.asarray(a, dtype=float) - np.asarray(b, dtype=float))
    if np.isnan(diff).any():
        return None
    names = display_names([leader, runner_up])
    return FoldComparison(names[leader.id], names[runner_up.id], metric, diff)
