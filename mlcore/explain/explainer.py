"""SHAP explanations of a whole fitted pipeline, reported in the names of the user's own columns.

The model sees transformed columns (one-hot levels, date parts, TF-IDF words, "was missing" flags).
`feature_map` traces every transformed column back to the column it came from, so SHAP values are
summed per original column (the expanded ones stay available). The explainer depends on the model:
`TreeExplainer` for tree ensembles, `LinearExplainer` for linear models, and SHAP's model-agnostic
`KernelExplainer` for the rest, run on the original columns against a background of about 100
k-means-summarised training rows, on a sample of rows. Permutation importance on the holdout is
the model-agnostic cross-check.
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd
from scipy import sparse
from sklearn.preprocessing import FunctionTransformer, OneHotEncoder, TargetEncoder

from mlcore.dataset import Dataset
from mlcore.schema import Task
from mlcore.train.run_data import check_run_data, holdout_rows, preprocessor, training_rows
from mlcore.train.runs import Run

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
FAST_SECONDS = 4.0  # explanations expected to take longer than this run in the background
LINEAR_BACKGROUND = 1_000
PERMUTATION_ROWS = 2_000
PERMUTATION_REPEATS = 5
_PROBE_ROWS = 20
PROGRESS_SECONDS = 0.5  # a slow explanation reports its progress this often


@dataclass(frozen=True)
class ExplainSettings:
    """How much to explain; the model-agnostic explainer is slow, so it explains fewer rows."""

    rows: int = 1_000
    method: Literal["auto", "agnostic"] = "auto"
    agnostic_rows: int = 50
    background: int = 100
    nsamples: int | None = None  # coalitions per row for the agnostic explainer (None: SHAP's 2M+2048)
    seed: int = 0

    def rows_for(self, method: str) -> int:
        return self.agnostic_rows if method == "kernel" else self.rows


# ---------- transformed columns → original columns ----------


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


# ---------- explanations ----------


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
        return self.total > FAST_SECONDS

    def message(self) -> str:
        what = f"{METHODS[self.method]} on {self.rows:,} row(s)"
        return f"{what}: about {_duration(self.total)}."


def _duration(seconds: float) -> str:
    if seconds < 1:
        return "under a second"
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 5_400:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"


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


def _dense(Z: Any) -> np.ndarray:
    return np.asarray(Z.toarray() if sparse.issparse(Z) else Z, dtype=float)


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
                sample = train.sample(min(LINEAR_BACKGROUND, len(train)), random_state=settings.seed)
                self._explainer = shap.LinearExplainer(
                    inner, _dense(transform(pipeline, sample[self.features]))
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
            Z = _dense(transform(self.pipeline, X))
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
    Z = _dense(transform(pipeline, sample))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        km = KMeans(n_clusters=k, random_state=settings.seed, n_init=1).fit(Z)
    chosen = pairwise_distances_argmin(km.cluster_centers_, Z)  # the real row nearest each centre
    weights = np.bincount(km.labels_, minlength=k).astype(float)
    return sample.iloc[chosen], weights


# ---------- the run-level entry points ----------


def rows_to_explain(run: Run, dataset: Dataset, n: int, seed: int) -> pd.DataFrame:
    """Up to `n` holdout rows (training rows when there is no holdout), a seeded sample in frame order."""
    rows = holdout_rows(run, dataset)
    if rows.empty:
        rows = training_rows(run, dataset)
    features = [str(c) for c in preprocessor(run.pipeline).feature_names_in_]
    if len(rows) > n:
        positions = np.sort(np.random.default_rng(seed).choice(len(rows), n, replace=False))
        rows = rows.iloc[positions]
    return rows[features]


def run_explainer(run: Run, dataset: Dataset, settings: ExplainSettings = ExplainSettings()) -> RunExplainer:
    """The explainer for a run, with its background from the run's training rows only."""
    check_run_data(run, dataset)
    train = training_rows(run, dataset)
    return RunExplainer(run.pipeline, run.task, run.classes, train, settings)


@dataclass(frozen=True)
class GlobalExplanation:
    """SHAP on a sample of rows and permutation importance on the holdout, for one run."""

    run_id: str
    settings: ExplainSettings
    shap: Explanation
    permutation: pd.DataFrame | None
    permutation_metric: str = ""
    seconds: float = 0.0
    notes: tuple[str, ...] = field(default_factory=tuple)


def estimate(run: Run, dataset: Dataset, explainer: RunExplainer) -> Estimate:
    """The time for the global explanation and the permutation check, before starting them."""
    rows = min(explainer.settings.rows_for(explainer.method), _available_rows(run, dataset))
    shap_estimate = explainer.estimate(rows)
    return Estimate(shap_estimate.method, rows, shap_estimate.seconds, _permutation_seconds(run, dataset))


def _available_rows(run: Run, dataset: Dataset) -> int:
    n = len(run.holdout_index) if run.holdout_index is not None else 0
    return n or len(training_rows(run, dataset))


def explain_run(
    run: Run,
    dataset: Dataset,
    settings: ExplainSettings = ExplainSettings(),
    report: Report | None = None,
    explainer: RunExplainer | None = None,
) -> GlobalExplanation:
    """Global SHAP values and permutation importance; progress goes to `report`."""
    started = time.perf_counter()
    if report is not None and explainer is None:
        report({"progress": 0.0, "message": "preparing the explainer (a summary of the training rows)"})
    explainer = explainer or run_explainer(run, dataset, settings)
    rows = rows_to_explain(run, dataset, settings.rows_for(explainer.method), settings.seed)

    def shap_progress(event: dict[str, Any]) -> None:
        if report is not None:
            report({**event, "progress": 0.9 * event["progress"]})

    values = explainer.explain(rows, shap_progress if report else None)
    if report is not None:
        report({"progress": 0.9, "message": "permutation importance on the holdout"})
    permutation, metric = permutation_check(run, dataset, settings.seed)
    notes = []
    if len(rows) < _available_rows(run, dataset):
        where = "holdout" if run.holdout_index is not None and len(run.holdout_index) else "training"
        notes.append(f"SHAP values of a random sample of {len(rows):,} {where} rows.")
    return GlobalExplanation(
        run.id, settings, values, permutation, metric, time.perf_counter() - started, tuple(notes)
    )


def explain_worker(
    report: Report, run: Run, dataset: Dataset, settings: ExplainSettings
) -> GlobalExplanation:
    """`explain_run` in a background job (module level so a worker process can import it)."""
    return explain_run(run, dataset, settings, report)


# ---------- permutation importance and mistakes ----------


def _permutation_seconds(run: Run, dataset: Dataset) -> float:
    """One timed prediction of the holdout rows, times the predictions permutation importance makes."""
    from threadpoolctl import threadpool_limits

    rows = holdout_rows(run, dataset).iloc[:PERMUTATION_ROWS]
    if len(rows) < 2:
        return 0.0
    features = [str(c) for c in preprocessor(run.pipeline).feature_names_in_]
    with threadpool_limits(1):
        start = time.perf_counter()
        run.pipeline.predict(rows[features])
        once = time.perf_counter() - start
    return once * (len(features) * PERMUTATION_REPEATS + 1)


def permutation_check(run: Run, dataset: Dataset, seed: int = 0) -> tuple[pd.DataFrame | None, str]:
    """Drop in the holdout score when each original column is shuffled (mean and spread of 5 shuffles)."""
    from sklearn.inspection import permutation_importance

    rows = holdout_rows(run, dataset)
    rows = rows[rows[run.target].notna()]
    if len(rows) < 2:
        return None, ""
    if len(rows) > PERMUTATION_ROWS:
        rows = rows.sample(PERMUTATION_ROWS, random_state=seed)
    features = [str(c) for c in preprocessor(run.pipeline).feature_names_in_]
    metric = "accuracy" if run.task is Task.CLASSIFICATION else "r2"
    from threadpoolctl import threadpool_limits

    with warnings.catch_warnings(), threadpool_limits(1):
        warnings.simplefilter("ignore")
        result = permutation_importance(
            run.pipeline,
            rows[features],
            rows[run.target].to_numpy(),
            scoring=metric,
            n_repeats=PERMUTATION_REPEATS,
            random_state=seed,
            n_jobs=1,
        )
    table = pd.DataFrame(
        {"feature": features, "importance": result.importances_mean, "std": result.importances_std}
    )
    return table.sort_values("importance", ascending=False).reset_index(drop=True), metric


def confidently_wrong(run: Run, limit: int = 20) -> pd.DataFrame:
    """Holdout rows the model got most confidently wrong (largest errors, for regression); `row` holds
    frame index labels, and a regression's `residual` is actual − predicted, as on the Evaluate page."""
    columns = ["row", "actual", "predicted", "confidence" if run.task is Task.CLASSIFICATION else "residual"]
    if run.y_true is None or run.y_pred is None or run.holdout_index is None or not len(run.y_true):
        return pd.DataFrame(columns=columns)
    y_true, y_pred = np.asarray(run.y_true), np.asarray(run.y_pred)
    if run.task is Task.CLASSIFICATION:
        wrong = np.flatnonzero(y_true != y_pred)
        if run.proba is not None:
            confidence = np.asarray(run.proba).max(axis=1)[wrong]
        else:
            confidence = np.full(len(wrong), np.nan)
        order = np.argsort(-np.nan_to_num(confidence, nan=-1.0), kind="stable")[:limit]
        chosen, score = wrong[order], confidence[order]
    else:
        residual = y_true.astype(float) - y_pred.astype(float)
        order = np.argsort(-np.abs(residual), kind="stable")[:limit]
        chosen, score = order, residual[order]
    return pd.DataFrame(
        {
            "row": np.asarray(run.holdout_index)[chosen],
            "actual": y_true[chosen],
            "predicted": y_pred[chosen],
            columns[3]: score,
        }
    )
