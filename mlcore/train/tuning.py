"""Hyperparameter search: grid, random or Bayesian (Optuna's TPE) over the registry's ranges.

Each trial is cross-validated on exactly the folds training uses, so the holdout stays untouched
and a tuned score is comparable with the leaderboard. Trials stream out as events, so a search that
is stopped or runs out of time keeps every finished trial.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd

from mlcore.metrics import METRICS, default_metric, target_counts
from mlcore.train.errors import ParamError, TrainInputError, explain_failure
from mlcore.train.fit import cross_validate
from mlcore.train.models import HyperParam, ModelSpec, get_model
from mlcore.train.runs import ModelChoice, TrainRequest

Method = Literal["tpe", "random", "grid"]
METHODS = {"tpe": "Bayesian (Optuna TPE)", "random": "random search", "grid": "grid search"}


@dataclass(frozen=True)
class TuneSpec:
    """What to search: one model, which of its settings, how, and within which budget."""

    model_key: str
    method: Method = "tpe"
    params: tuple[str, ...] = ()  # empty: every setting of the model
    n_trials: int = 20
    time_budget: float | None = 60.0  # seconds for the whole search
    grid_points: int = 3  # values per number setting in a grid search
    metric: str | None = None  # default: the task's main metric
    base_params: dict[str, Any] = field(default_factory=dict)  # values of the settings not searched


@dataclass(frozen=True)
class Trial:
    number: int
    params: dict[str, Any]
    score: float
    std: float
    fold_scores: tuple[float, ...]
    seconds: float
    status: str  # ok, failed, stopped
    message: str = ""


@dataclass(frozen=True)
class TuneResult:
    spec: TuneSpec
    metric: str
    trials: tuple[Trial, ...]
    stopped_reason: str = ""

    @property
    def greater_is_better(self) -> bool:
        return METRICS[self.metric].greater_is_better

    @property
    def best(self) -> Trial | None:
        done = [t for t in self.trials if t.status == "ok" and not math.isnan(t.score)]
        if not done:
            return None
        sign = 1 if self.greater_is_better else -1
        return max(done, key=lambda t: (sign * t.score, -t.number))

    @property
    def best_params(self) -> dict[str, Any]:
        return dict(self.best.params) if self.best else {}

    @property
    def best_score(self) -> float:
        return self.best.score if self.best else float("nan")


class _OutOfTime(Exception):
    """Raised between folds when the search's time budget is spent."""


def searched_params(spec: ModelSpec, names: tuple[str, ...]) -> list[HyperParam]:
    return [spec.param(n) for n in names] if names else list(spec.params)


def grid_values(param: HyperParam, points: int) -> list[Any]:
    """The values a grid search tries for one setting (evenly spaced, on a log scale where marked)."""
    if param.kind == "bool":
        return [False, True]
    if param.kind == "choice":
        return list(param.choices)
    space = np.geomspace if param.log else np.linspace
    values = space(param.low, param.high, max(points, 2))
    if param.kind == "int":
        return sorted({round(float(v)) for v in values})
    return [float(f"{v:.4g}") for v in values]


def _suggest(trial: Any, param: HyperParam, method: Method, points: int) -> Any:
    if method == "grid" or param.kind in ("choice", "bool"):
        values = grid_values(param, points) if method == "grid" else grid_values(param, 2)
        return trial.suggest_categorical(param.name, values)
    if param.kind == "int":
        return trial.suggest_int(param.name, int(param.low), int(param.high), log=param.log)
    return trial.suggest_float(param.name, float(param.low), float(param.high), log=param.log)


def _sampler(spec: TuneSpec, params: list[HyperParam], seed: int) -> Any:
    import optuna

    if spec.method == "grid":
        space = {p.name: grid_values(p, spec.grid_points) for p in params}
        return optuna.samplers.GridSampler(space, seed=seed)
    if spec.method == "random":
        return optuna.samplers.RandomSampler(seed=seed)
    return optuna.samplers.TPESampler(seed=seed)


def validate_tuning(request: TrainRequest, spec: TuneSpec) -> str:
    """Check the spec now; return the metric searched."""
    task = request.dataset.task
    if task is None:
        raise TrainInputError("Choose a target column before tuning.", "Pick the column to predict.")
    if request.split.cv_folds < 2:
        raise TrainInputError(
            "Tuning compares settings by cross-validation, which is switched off.", "Choose at least 2 folds."
        )
    if spec.method not in METHODS:
        raise TrainInputError(f"Unknown search method '{spec.method}'.", f"Use one of: {', '.join(METHODS)}.")
    if spec.n_trials < 1:
        raise TrainInputError("Run at least one trial.", "Set the number of trials to 1 or more.")
    model = get_model(task, spec.model_key)
    params = searched_params(model, spec.params)
    if not params:
        raise ParamError(f"{model.name} has no settings to tune.", "Choose another model.")
    model.resolve(spec.base_params)
    metric = spec.metric or default_metric(task, target_counts(request.dataset))
    if metric not in METRICS or METRICS[metric].task is not task:
        raise TrainInputError(f"'{metric}' is not a {task.value} metric.", "Choose a metric of this task.")
    return metric


def tune(report: Any, request: TrainRequest, spec: TuneSpec) -> TuneResult:
    """Run the search (in a worker: `Job(tune, request, spec)`); each trial is reported as it ends."""
    import optuna

    from mlcore.train.split import make_split

    metric = validate_tuning(request, spec)
    model = get_model(request.dataset.task, spec.model_key)
    params = searched_params(model, spec.params)
    split = make_split(request.dataset, request.split, request.seed)
    started = time.monotonic()
    trials: list[Trial] = []
    n_trials = spec.n_trials
    if spec.method == "grid":
        n_trials = min(n_trials, math.prod(len(grid_values(p, spec.grid_points)) for p in params))

    def out_of_time() -> bool:
        return spec.time_budget is not None and time.monotonic() - started > spec.time_budget

    def check_time(done: int, total: int) -> None:
        if out_of_time():
            raise _OutOfTime

    def objective(trial: Any) -> float:
        values = {p.name: _suggest(trial, p, spec.method, spec.grid_points) for p in params}
        chosen = {**spec.base_params, **values}
        begun = time.monotonic()
        status, message, scores = "ok", "", []
        try:
            # Trials follow one another (the seeded search picks each from those before); on a cluster
            # each trial's folds run side by side.
            cv = cross_validate(request, ModelChoice(spec.model_key, chosen), split, check_time, spread=True)
            scores = cv.fold_scores.get(metric, [])
            value, std = cv.mean(metric), cv.std(metric)
        except _OutOfTime:
            status, message, value, std = (
                "stopped",
                "the time budget ran out during this trial",
                math.nan,
                math.nan,
            )
            trial.study.stop()
        except Exception as exc:  # one bad combination must not end the search
            status, message, value, std = "failed", explain_failure(exc), math.nan, math.nan
        result = Trial(
            trial.number,
            model.resolve(chosen),
            value,
            std,
            tuple(scores),
            time.monotonic() - begun,
            status,
            message,
        )
        trials.append(result)
        report(
            {"progress": len(trials) / n_trials, "message": _trial_message(result, metric), "trial": result}
        )
        if out_of_time():
            trial.study.stop()
        return value if status == "ok" else float("nan")

    optuna.logging.set_verbosity(optuna.logging.ERROR)
    direction = "maximize" if METRICS[metric].greater_is_better else "minimize"
    study = optuna.create_study(direction=direction, sampler=_sampler(spec, params, request.seed))
    study.optimize(objective, n_trials=n_trials, catch=())
    reason = "time budget reached" if out_of_time() or (trials and trials[-1].status == "stopped") else ""
    return TuneResult(spec, metric, tuple(trials), reason)


def _trial_message(trial: Trial, metric: str) -> str:
    if trial.status != "ok":
        return f"trial {trial.number + 1}: {trial.status} ({trial.message})"
    return f"trial {trial.number + 1}: {METRICS[metric].label} {trial.score:.4f}"


def result_from_events(spec: TuneSpec, metric: str, events: list[dict[str, Any]], reason: str) -> TuneResult:
    """The trials a stopped or timed-out search had finished, as a result."""
    trials = tuple(e["trial"] for e in events if "trial" in e)
    return TuneResult(spec, metric, trials, reason)


def trials_table(result: TuneResult) -> pd.DataFrame:
    """One row per trial: score, spread over folds, time, status and the values tried."""
    label = METRICS[result.metric].label
    rows = []
    best = result.best
    for t in result.trials:
        row = {
            "trial": t.number + 1,
            label: t.score,
            "± std": t.std,
            "seconds": t.seconds,
            "status": t.status,
        }
        row["best"] = best is not None and t.number == best.number
        row.update({name: t.params.get(name) for name in _searched_names(result)})
        rows.append(row)
    return pd.DataFrame(rows)


def _searched_names(result: TuneResult) -> list[str]:
    if result.spec.params:
        return list(result.spec.params)
    return list(result.trials[0].params) if result.trials else []


def score_plot(result: TuneResult) -> Any:
    """Score of each trial and the best score so far, against the trial number."""
    import plotly.graph_objects as go

    label = METRICS[result.metric].label
    ok = [t for t in result.trials if t.status == "ok" and not math.isnan(t.score)]
    numbers = [t.number + 1 for t in ok]
    scores = [t.score for t in ok]
    pick = np.maximum.accumulate if result.greater_is_better else np.minimum.accumulate
    best_so_far = list(pick(np.asarray(scores))) if scores else []
    figure = go.Figure()
    figure.add_scatter(x=numbers, y=scores, mode="markers", name="trial", marker={"size": 8})
    figure.add_scatter(x=numbers, y=best_so_far, mode="lines", name="best so far", line={"shape": "hv"})
    figure.update_layout(
        title=f"{METHODS[result.spec.method].capitalize()}: cross-validated {label} per trial",
        xaxis_title="trial",
        yaxis_title=f"CV {label}",
        margin={"l": 40, "r": 20, "t": 50, "b": 40},
    )
    return figure


def apply_best(result: TuneResult) -> ModelChoice:
    """The best settings as a model to train as a new run."""
    if result.best is None:
        raise TrainInputError("No trial finished successfully, so there are no best settings.", "Tune again.")
    return ModelChoice(result.spec.model_key, result.best_params)
