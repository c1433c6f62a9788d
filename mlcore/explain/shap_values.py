"""SHAP values of a whole fitted pipeline, with the explainer the model calls for.

`TreeExplainer` for tree ensembles, `LinearExplainer` for linear models, and SHAP's model-agnostic
`KernelExplainer` for the rest, run on the original columns against a background of about 100
k-means-summarised training rows, on a sample of rows. Values are kept per model-input column with the
map back to the original columns (`mlcore.explain.features`).
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd

from mlcore.explain.budget import BUDGET
from mlcore.explain.features import FeatureMap, dense, feature_map, identity_map, model_step, transform
from mlcore.formatting import rough_duration
from mlcore.schema import Task
from mlcore.train.run_data import preprocessor

Report = Callable[[dict[str, Any]], None]

TREE_MODELS = (
    "XGBClassifier",
    "XGBRegressor",
    "RandomForestClassifier",
    "RandomForestRegressor",
    "ExtraTreesClassifier",
    "ExtraTreesRegressor",
    "DecisionTreeClassifier",
    "DecisionTreeRegressor",
    "HistGradientBoostingClassifier",
    "HistGradientBoostingRegressor",
    "GradientBoostingClassifier",
    "GradientBoostingRegressor",
)
LINEAR_MODELS = (
    "LogisticRegression",
    "LinearRegression",
    "Ridge",
    "Lasso",
    "ElasticNet",
    "LinearSVC",
    "LinearSVR",
    "SGDClassifier",
    "SGDRegressor",
)
METHODS = {
    "tree": "SHAP TreeExplainer (exact for tree models)",
    "linear": "SHAP LinearExplainer (exact for linear models)",
    "kernel": "SHAP KernelExplainer (model-agnostic, estimated from samples)",
}
_PROBE_ROWS = 20
PROGRESS_SECONDS = 0.5  # a slow explanation reports its progress this often


@dataclass(frozen=True)
class ExplainSettings:
    """How much to explain; the model-agnostic explainer is slow, so it explains fewer rows."""

    rows: int = BUDGET.rows
    method: Literal["auto", "agnostic"] = "auto"
    agnostic_rows: int = BUDGET.agnostic_rows
    background: int = 100
    nsamples: int | None = None  # coalitions per row for the agnostic explainer (None: SHAP's 2M+2048)
    seed: int = 0

    def rows_for(self, method: str) -> int:
        return self.agnostic_rows if method == "kernel" else self.rows


@dataclass(frozen=True)
class Explanation:
    """SHAP values for some rows: per model-input column, with the map back to original columns.

    `values` has shape (rows, model columns, outputs); `base` has shape (rows, outputs); for each
    row and output, base + the sum of the values is the model's output (SHAP's efficiency property).
    """

    method: str
    output_unit: str
    outputs: tuple[str, ...]
    rows: np.ndarray
    data: pd.DataFrame
    values: np.ndarray
    base: np.ndarray
    fmap: FeatureMap
    model_data: np.ndarray | None = None
    seconds: float = 0.0
    notes: tuple[str, ...] = ()

    @property
    def grouped(self) -> bool:
        """Whether values can be shown per original column."""
        return self.fmap.recoverable

    def output(self) -> np.ndarray:
        """The model output each row's values add up to, shape (rows, outputs)."""
        return self.values.sum(axis=1) + self.base

    def feature_values(self, expanded: bool = False) -> tuple[np.ndarray, list[str]]:
        """Values per original column (expanded columns summed) or per model-input column."""
        if expanded or not self.grouped:
            return self.values, list(self.fmap.columns)
        summed = np.einsum("npk,pf->nfk", self.values, self.fmap.matrix())
        return summed, list(self.fmap.features)

    def matrix(self, output: int, expanded: bool = False) -> pd.DataFrame:
        """One output's values as a table: a row per explained row, a column per feature."""
        values, names = self.feature_values(expanded)
        return pd.DataFrame(values[:, :, output], index=self.rows, columns=names)

    def importance(self, output: int | None = None, expanded: bool = False) -> pd.Series:
        """Mean |SHAP| per feature, largest first; with no output chosen, summed over the outputs."""
        values, names = self.feature_values(expanded)
        mean_abs = np.abs(values).mean(axis=0)  # (features, outputs)
        score = mean_abs.sum(axis=1) if output is None else mean_abs[:, output]
        return pd.Series(score, index=names, name="mean |SHAP|").sort_values(ascending=False)

    def shown_data(self, expanded: bool = False) -> pd.DataFrame:
        """The feature values that go with `feature_values` (for colouring and dependence plots)."""
        if (expanded or not self.grouped) and self.model_data is not None:
            return pd.DataFrame(self.model_data, index=self.rows, columns=list(self.fmap.columns))
        return self.data


@dataclass(frozen=True)
class Estimate:
    """How long an explanation is expected to take, decided before it starts."""

    method: str
    rows: int
    seconds: float
    permutation_seconds: float = 0.0

    @property
    def total(self) -> float:
        return self.seconds + self.permutation_seconds

    @property
    def slow(self) -> bool:
        return self.total > BUDGET.fast_seconds

    def message(self) -> str:
        what = f"{METHODS[self.method]} on {self.rows:,} row(s)"
        return f"{what}: {rough_duration(self.total)}."


def choose_method(pipeline: Any, settings: ExplainSettings | None = None) -> str:
    if settings is not None and settings.method == "agnostic":
        return "kernel"
    name = type(_inner_model(model_step(pipeline))).__name__
    if name in TREE_MODELS:
        return "tree"
    if name in LINEAR_MODELS:
        return "linear"
    return "kernel"


def _inner_model(model: Any) -> Any:
    """The estimator SHAP understands (the workbench's XGBoost classifier wraps an XGBClassifier)."""
    inner = getattr(model, "model_", None)
    return inner if type(inner).__name__ in TREE_MODELS else model


class RunExplainer:
    """A SHAP explainer for one fitted pipeline, ready to explain any rows of the original columns."""

    def __init__(
        self,
        pipeline: Any,
        task: Task,
        classes: tuple[Any, ...] | None,
        train: pd.DataFrame,
        settings: ExplainSettings = ExplainSettings(),
    ) -> None:
        import shap

        self.pipeline, self.task, self.settings = pipeline, task, settings
        self._on_evaluated: Callable[[int], None] | None = None  # set while `explain` reports progress
        self.classes = tuple(classes) if classes is not None else None
        self.features = [str(c) for c in preprocessor(pipeline).feature_names_in_]
        self.method = choose_method(pipeline, settings)
        self.model = model_step(pipeline)
        if self.method == "kernel":
            self.fmap = identity_map(self.features)
            self.background, self.weights = kmeans_background(pipeline, train[self.features], settings)
            self._dtypes = train[self.features].dtypes.to_dict()
            self._explainer = shap.KernelExplainer(self._predict, self._dense_background())
            self.output_unit = "probability" if task is Task.CLASSIFICATION else "prediction"
        else:
            self.fmap = feature_map(pipeline)
            inner = _inner_model(self.model)
            if self.method == "tree":
                self._explainer = shap.TreeExplainer(inner)
            else:
                sample = train.sample(min(BUDGET.linear_background, len(train)), random_state=settings.seed)
                self._explainer = shap.LinearExplainer(
                    inner, dense(transform(pipeline, sample[self.features]))
                )
            self.output_unit = self._margin_unit(inner)
        self._probe_rows = train[self.features].iloc[:_PROBE_ROWS]
        self._row_seconds: float | None = None

    def _margin_unit(self, inner: Any) -> str:
        if self.task is Task.REGRESSION:
            return "prediction"
        name = type(inner).__name__
        if name.startswith(("XGB", "HistGradient", "GradientBoosting", "LogisticRegression", "SGD")):
            return "log-odds" if self.classes is None or len(self.classes) <= 2 else "softmax score"
        if name in ("LinearSVC",):
            return "decision value"
        return "probability"

    # ----- the model-agnostic path -----

    def _predict(self, values: np.ndarray) -> np.ndarray:
        if self._on_evaluated is not None:
            self._on_evaluated(len(values))
        frame = pd.DataFrame(values, columns=self.features)
        for name, dtype in self._dtypes.items():  # back to the training types (mixing made them objects)
            try:
                frame[name] = frame[name].astype(dtype)
            except (TypeError, ValueError):
                frame[name] = (
                    pd.to_numeric(frame[name], errors="coerce") if dtype.kind in "biuf" else frame[name]
                )
        if self.task is Task.CLASSIFICATION:
            return self.pipeline.predict_proba(frame)
        return self.pipeline.predict(frame)

    def _dense_background(self) -> Any:
        from shap.utils._legacy import DenseData

        data = self.background.to_numpy(dtype=object)
        return DenseData(data, self.features, None, self.weights)

    def _nsamples(self) -> int:
        if self.settings.nsamples:
            return self.settings.nsamples
        return max(1, min(2 * len(self.features) + 2048, 2 ** len(self.features) - 2))

    # ----- explaining -----

    def explain(self, X: pd.DataFrame, report: Report | None = None, chunk: int = 0) -> Explanation:
        """SHAP values for these rows (original columns); `report` gets progress between chunks."""
        from threadpoolctl import threadpool_limits

        started = time.perf_counter()
        X = X[self.features]
        size = chunk or (1 if self.method == "kernel" else 500)
        parts, bases, model_parts = [], [], []
        try:
            for start in range(0, len(X), size):
                if report is not None and self.method == "kernel":
                    self._on_evaluated = self._kernel_progress(report, start, len(X))
                with threadpool_limits(1):  # OpenMP models slow down many times over on a busy machine
                    values, base, model_data = self._explain_chunk(X.iloc[start : start + size])
                parts.append(values)
                bases.append(base)
                model_parts.append(model_data)
                if report is not None:
                    done = min(start + size, len(X))
                    report({"progress": done / len(X), "message": f"explained {done:,} of {len(X):,} rows"})
        finally:
            self._on_evaluated = None
        if parts:
            values, base = np.concatenate(parts), np.concatenate(bases)
        else:
            values = np.zeros((0, len(self.fmap.columns), 1))
            base = np.zeros((0, 1))
        model_data = None if self.method == "kernel" or not parts else np.concatenate(model_parts)
        notes = (self.fmap.note,) if self.fmap.note else ()
        return Explanation(
            method=self.method,
            output_unit=self.output_unit,
            outputs=self.outputs(values.shape[2]),
            rows=X.index.to_numpy(),
            data=X,
            values=values,
            base=base,
            fmap=self.fmap,
            model_data=model_data,
            seconds=time.perf_counter() - started,
            notes=notes,
        )

    def _kernel_progress(self, report: Report, row: int, rows: int) -> Callable[[int], None]:
        """Progress inside one row of the model-agnostic explainer, which may take minutes: it asks the
        model for about `nsamples × background` predictions per row, so those calls are counted."""
        expected = max(1, self._nsamples() * len(self.background))
        evaluated, last = 0, 0.0

        def on_evaluated(n: int) -> None:
            nonlocal evaluated, last
            evaluated += n
            now = time.perf_counter()
            if now - last >= PROGRESS_SECONDS:
                last = now
                within = min(evaluated / expected, 0.99)
                report(
                    {"progress": (row + within) / rows, "message": f"explaining row {row + 1:,} of {rows:,}"}
                )

        return on_evaluated

    def _explain_chunk(self, X: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            if self.method == "kernel":
                np.random.seed(
                    self.settings.seed
                )  # KernelExplainer samples coalitions with numpy's global RNG
                raw = self._explainer.shap_values(
                    X.to_numpy(dtype=object), nsamples=self._nsamples(), silent=True
                )
                values = _as_3d(raw, len(X))
                base = np.broadcast_to(
                    np.atleast_1d(self._explainer.expected_value), (len(X), values.shape[2])
                ).copy()
                return values, base, None
            Z = dense(transform(self.pipeline, X))
            result = (
                self._explainer(Z, check_additivity=False) if self.method == "tree" else self._explainer(Z)
            )
            values = _as_3d(result.values, len(X))
            base = np.asarray(result.base_values, dtype=float).reshape(len(X), -1)
            if base.shape[1] != values.shape[2]:
                base = np.broadcast_to(base[:, :1], (len(X), values.shape[2])).copy()
            return values, base, Z

    def outputs(self, count: int) -> tuple[str, ...]:
        """A name per model output: the classes, or the positive class for one-output binary models."""
        if self.task is Task.REGRESSION or self.classes is None:
            return ("prediction",)
        names = tuple(str(c) for c in self.classes)
        return names if count == len(names) else names[-count:]

    # ----- cost -----

    def estimate(self, rows: int) -> Estimate:
        """Time for `rows` rows, from a short probe of the explainer (or of the model, when agnostic)."""
        if self.method == "kernel":
            per_call = self._predict_seconds_per_row()
            seconds = rows * self._nsamples() * len(self.background) * per_call
        else:
            seconds = rows * self._probe()
        return Estimate(self.method, rows, seconds)

    def _probe(self) -> float:
        if self._row_seconds is None:
            sample = self._probe_rows
            start = time.perf_counter()
            self._explain_chunk(sample)
            self._row_seconds = (time.perf_counter() - start) / max(len(sample), 1)
        return self._row_seconds

    def _predict_seconds_per_row(self) -> float:
        if self._row_seconds is None:
            batch = pd.concat([self.background] * max(1, 1_000 // max(len(self.background), 1)))
            start = time.perf_counter()
            self._predict(batch.to_numpy(dtype=object))
            self._row_seconds = (time.perf_counter() - start) / len(batch)
        return self._row_seconds


def _as_3d(raw: Any, n: int) -> np.ndarray:
    """SHAP's many output shapes as (rows, columns, outputs)."""
    if isinstance(raw, list):
        return np.stack([np.asarray(v, dtype=float).reshape(n, -1) for v in raw], axis=2)
    values = np.asarray(raw, dtype=float)
    if values.ndim == 2:
        return values[:, :, None]
    return values.reshape(n, values.shape[-2], values.shape[-1])


def kmeans_background(
    pipeline: Any, train: pd.DataFrame, settings: ExplainSettings
) -> tuple[pd.DataFrame, np.ndarray]:
    """About `settings.background` real training rows standing for the whole training set.

    k-means runs on the transformed columns (where distances mean something); each cluster is
    represented by its real row closest to the centre, weighted by the cluster's size. Real rows keep
    categories and dates valid, so the model-agnostic explainer can mix them with any row.
    """
    from sklearn.cluster import KMeans
    from sklearn.metrics import pairwise_distances_argmin

    sample = train.sample(min(len(train), 5_000), random_state=settings.seed)
    k = min(settings.background, len(sample))
    if k == len(sample):
        return sample, np.ones(k)
    Z = dense(transform(pipeline, sample))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        km = KMeans(n_clusters=k, random_state=settings.seed, n_init=1).fit(Z)
    chosen = pairwise_distances_argmin(km.cluster_centers_, Z)  # the real row nearest each centre
    weights = np.bincount(km.labels_, minlength=k).astype(float)
    return sample.iloc[chosen], weights
