"""Every run in MLflow: params, metrics, tags, the dataset as its input, the fitted pipeline as an
MLflow model in skops format, the holdout and out-of-fold predictions; and MLflow's model registry.

Only `MlflowClient` is used (no fluent `mlflow.start_run`), so threads and sessions never share an
active run. The embedded SQLite store is created once per home under a file lock (several processes
running MLflow's schema migration at once corrupt it), and writes that meet "database is locked"
from another process are retried. A tracking server that does not answer is a `TrackingError`
within seconds, never a hang.
"""

from __future__ import annotations

import json
import os
import re
import socket
import tempfile
import threading
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import pandas as pd

from mlcore import __version__
from mlcore.dataset import Dataset
from mlcore.deploy.predict import escape_formulas
from mlcore.errors import MLCoreError
from mlcore.track.files import locked, remove_folder
from mlcore.track.home import is_embedded
from mlcore.train.prep_spec import PrepSpec
from mlcore.train.runs import Run, RunStatus, TrainRequest
from mlcore.train.split import SplitSpec
from mlcore.train.tuning import TuneResult

# A server that does not answer fails fast instead of MLflow's default minutes of retries.
os.environ.setdefault("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "0")
os.environ.setdefault("MLFLOW_HTTP_REQUEST_TIMEOUT", "10")
os.environ.setdefault("MLFLOW_ENABLE_ASYNC_LOGGING", "false")
os.environ.setdefault("MLFLOW_SUPPRESS_PRINTING_URL_TO_STDOUT", "true")  # stdout is the CLI's (JSON)

PROJECT_TAG = "mlcore.project"
RUN_TAG = "mlcore.run_id"
STATUS_TAG = "mlcore.status"
WRITER_TAG = "mlcore.writer"  # host:pid of the process logging the run (to find interrupted ones)
MODEL_PATH = "model"
LOCKED_RETRIES = 20
RACED_INSERT = "UNIQUE constraint failed: datasets."  # the same dataset logged by two processes at once
RACE_RETRIES = 2
EXAMPLE_ROWS = 5
INPUTS_KEPT = 8
T = TypeVar("T")
_MLFLOW_STATUS = {
    RunStatus.OK: "FINISHED",
    RunStatus.FAILED: "FAILED",
    RunStatus.TIMED_OUT: "FAILED",
    RunStatus.STOPPED: "KILLED",
}


class TrackingError(MLCoreError):
    """MLflow's store could not be reached, opened or written."""


@dataclass(frozen=True)
class ModelVersionInfo:
    """One version of a registered model, as the Models view lists it."""

    name: str
    version: str
    aliases: tuple[str, ...]
    description: str
    run_id: str
    created: float
    metrics: dict[str, float]


@dataclass(frozen=True, eq=False)
class Analysis:
    """A finished analysis that is not a supervised run (a clustering, say), as an MLflow run: its
    settings as params, its scores as metrics, and its files as artifacts by path."""

    name: str
    kind: str  # the `mlcore.kind` tag: "clustering"
    dataset: Dataset
    params: dict[str, str]
    metrics: dict[str, float]
    files: dict[str, bytes]
    tags: dict[str, str] = field(default_factory=dict)


class Tracker:
    """MLflow for one workbench home: the store at `uri`, artifacts under `home/artifacts`."""

    def __init__(self, uri: str, home: Path) -> None:
        self.uri, self.home = uri, home
        self._client: Any = None
        self._lock = threading.Lock()  # one writer per process; other processes are retried
        self._inputs: dict[str, Any] = {}  # dataset hash → its MLflow input, for the latest datasets
        self._experiments: dict[tuple[str, str], str] = {}  # (project id, name) → experiment id

    @property
    def client(self) -> Any:
        """The client, with the store created or upgraded once (under a lock across processes)."""
        with self._lock:
            if self._client is None:
                self._client = self._open()
            return self._client

    def _open(self) -> Any:
        from mlflow import MlflowClient

        try:
            if is_embedded(self.uri):
                with locked(self.home / ".mlflow-store.lock"):
                    client = MlflowClient(tracking_uri=self.uri, registry_uri=self.uri)
                    client.search_experiments(max_results=1)  # creates or migrates the tables
                    mark_interrupted(client)
            else:
                client = MlflowClient(tracking_uri=self.uri, registry_uri=self.uri)
                client.search_experiments(max_results=1)
        except Exception as exc:
            raise unreachable(self.uri, exc) from None
        return client

    # ---------- runs ----------

    def experiment_id(self, project_id: str, project_name: str) -> str:
        """The project's experiment, made on first use (named after the project, found by its tag)."""
        key = (project_id, project_name)
        if key not in self._experiments:
            self._experiments[key] = self._experiment_id(project_id, project_name)
        return self._experiments[key]

    def _experiment_id(self, project_id: str, project_name: str) -> str:
        client = self.client
        name = f"{project_name} [{project_id}]"
        found = self.call(
            lambda: client.search_experiments(filter_string=f"tags.`{PROJECT_TAG}` = '{project_id}'")
        )
        if found:
            if found[0].name != name:
                self.call(lambda: client.rename_experiment(found[0].experiment_id, name))
            return found[0].experiment_id
        location = (self.home / "artifacts" / project_id).as_uri() if is_embedded(self.uri) else None
        try:
            return self.call(
                lambda: client.create_experiment(
                    name, artifact_location=location, tags={PROJECT_TAG: project_id}
                )
            )
        except TrackingError as exc:  # another process made it first (RESOURCE_ALREADY_EXISTS)
            made = client.get_experiment_by_name(name)
            if made is None:
                raise exc from None
            return made.experiment_id

    def log_run(
        self,
        project_id: str,
        project_name: str,
        run: Run,
        dataset: Dataset,
        model: bytes | None,
        files: dict[str, bytes] | None = None,
    ) -> str:
        """One finished run as an MLflow run; returns its MLflow run id. `files` are more artifacts
        by path (the workbench's own record of the run, from which History restores it)."""
        from mlflow.entities import Metric, Param

        client = self.client
        experiment = self.experiment_id(project_id, project_name)
        tags = {
            "mlflow.runName": run.label,
            PROJECT_TAG: project_id,
            RUN_TAG: run.id,
            STATUS_TAG: run.status.value,
            WRITER_TAG: writer(),
            "mlcore.status_reason": run.message[:5000],
            "mlcore.dataset_hash": run.dataset_hash,
            "mlcore.dataset": run.dataset_name,
            "mlcore.target": run.target,
            "mlcore.task": run.task.value,
            "mlcore.app_version": __version__,
            **{f"mlcore.version.{k}": v for k, v in run.versions.items()},
        }
        created = self.call(lambda: client.create_run(experiment, run_name=run.label, tags=tags))
        rid = created.info.run_id
        now = int(time.time() * 1000)
        metrics = [Metric(k, v, now, step) for k, v, step in run_metrics(run)]
        params = [Param(k, v) for k, v in run_params(run).items()]
        batches = max(-(-len(metrics) // 1000), -(-len(params) // 100), 1)  # MLflow's limits per batch
        for i in range(batches):
            self.call(
                lambda i=i: client.log_batch(
                    rid, metrics=metrics[i * 1000 : (i + 1) * 1000], params=params[i * 100 : (i + 1) * 100]
                )
            )
        self._log_input(rid, dataset)
        with tempfile.TemporaryDirectory() as folder:  # the artifacts as a tree, logged in one call
            root = Path(folder)
            if model is not None:
                save_mlflow_model(root / MODEL_PATH, run, dataset, model)
            written = dict(files or {})
            for name, table in prediction_tables(run).items():  # labels are the user's text: escaped
                written[f"predictions/{name}"] = escape_formulas(table).to_csv(index=False).encode()
            for name, content in written.items():
                (root / name).parent.mkdir(parents=True, exist_ok=True)
                (root / name).write_bytes(content)
            self.call(lambda: client.log_artifacts(rid, folder))
        self.call(lambda: client.set_terminated(rid, _MLFLOW_STATUS[run.status]))
        return rid

    def log_search(
        self, project_id: str, project_name: str, request: TrainRequest, result: TuneResult
    ) -> str:
        """A hyperparameter search as a parent run with one child run per trial; the parent's id."""
        from mlflow.entities import Metric, Param

        client = self.client
        experiment = self.experiment_id(project_id, project_name)
        spec, best = result.spec, result.best
        name = f"Search: {spec.model_key} ({spec.method}, {len(result.trials)} trials)"
        base = spec_params(spec.model_key, request.seed, request.prep, request.split, {})
        tags = {
            "mlflow.runName": name,
            PROJECT_TAG: project_id,
            STATUS_TAG: "ok" if best is not None else "failed",
            WRITER_TAG: writer(),
            "mlcore.kind": "search",
            "mlcore.status_reason": result.stopped_reason,
            "mlcore.dataset_hash": request.dataset.content_hash,
        }
        parent = self.call(lambda: client.create_run(experiment, run_name=name, tags=tags)).info.run_id
        searched = {
            "search.method": spec.method,
            "search.metric": result.metric,
            "search.trials": str(spec.n_trials),
        }
        searched["search.params"] = ",".join(spec.params) or "all"
        self.call(
            lambda: client.log_batch(parent, params=[Param(k, v) for k, v in {**base, **searched}.items()])
        )
        if best is not None:
            self.call(lambda: client.log_metric(parent, f"best_cv_{result.metric}", best.score))
        now = int(time.time() * 1000)
        for trial in result.trials:
            trial_tags = {
                "mlflow.runName": f"trial {trial.number}",
                "mlflow.parentRunId": parent,
                PROJECT_TAG: project_id,
                STATUS_TAG: trial.status,
                WRITER_TAG: writer(),
                "mlcore.kind": "trial",
                "mlcore.status_reason": trial.message[:5000],
            }
            child = self.call(lambda t=trial_tags: client.create_run(experiment, tags=t)).info.run_id
            params = spec_params(
                spec.model_key,
                request.seed,
                request.prep,
                request.split,
                {**spec.base_params, **trial.params},
            )
            metrics = [(f"cv_{result.metric}", trial.score, 0), (f"cv_{result.metric}_std", trial.std, 0)]
            metrics += [(f"fold_{result.metric}", v, i) for i, v in enumerate(trial.fold_scores)]
            metrics.append(("fit_seconds", trial.seconds, 0))
            self.call(
                lambda c=child, p=params, m=metrics: client.log_batch(
                    c,
                    metrics=[Metric(k, float(v), now, step) for k, v, step in m if v == v],
                    params=[Param(k, v) for k, v in p.items()],
                )
            )
            status = (
                "FINISHED" if trial.status == "ok" else "FAILED" if trial.status == "failed" else "KILLED"
            )
            self.call(lambda c=child, st=status: client.set_terminated(c, st))
        self.call(lambda: client.set_terminated(parent, "FINISHED" if best is not None else "FAILED"))
        return parent

    def log_analysis(self, project_id: str, project_name: str, analysis: Analysis) -> str:
        """An analysis as one finished MLflow run in the project's experiment; returns its run id."""
        from mlflow.entities import Metric, Param

        client = self.client
        experiment = self.experiment_id(project_id, project_name)
        tags = {
            "mlflow.runName": analysis.name,
            PROJECT_TAG: project_id,
            STATUS_TAG: "ok",
            WRITER_TAG: writer(),
            "mlcore.kind": analysis.kind,
            "mlcore.dataset_hash": analysis.dataset.content_hash,
            "mlcore.dataset": analysis.dataset.name,
            "mlcore.app_version": __version__,
            **analysis.tags,
        }
        rid = self.call(lambda: client.create_run(experiment, run_name=analysis.name, tags=tags)).info.run_id
        now = int(time.time() * 1000)
        params = [Param(k[:250], v[:6000]) for k, v in analysis.params.items()]
        metrics = [Metric(k, float(v), now, 0) for k, v in analysis.metrics.items() if v == v]
        for i in range(max(-(-len(params) // 100), 1)):
            self.call(
                lambda i=i: client.log_batch(
                    rid, metrics=metrics if i == 0 else [], params=params[i * 100 : (i + 1) * 100]
                )
            )
        self._log_input(rid, analysis.dataset)
        with tempfile.TemporaryDirectory() as folder:
            root = Path(folder)
            for name, content in analysis.files.items():
                (root / name).parent.mkdir(parents=True, exist_ok=True)
                (root / name).write_bytes(content)
            self.call(lambda: client.log_artifacts(rid, folder))
        self.call(lambda: client.set_terminated(rid, "FINISHED"))
        return rid

    def _log_input(self, rid: str, dataset: Dataset) -> None:
        """The dataset as the run's input (its schema and hash, not its rows); made once per dataset."""
        entity = self._inputs.get(dataset.content_hash)
        if entity is None:
            import mlflow.data
            from mlflow.entities import DatasetInput, InputTag

            with warnings.catch_warnings():  # the hint about integer columns, as for the model's signature
                warnings.simplefilter("ignore", UserWarning)
                source = mlflow.data.from_pandas(
                    dataset.frame.head(0),
                    name=dataset.name,
                    targets=dataset.target,
                    digest=dataset.content_hash[:36],
                )
                entity = DatasetInput(
                    source._to_mlflow_entity(), tags=[InputTag("mlflow.data.context", "training")]
                )
            self._inputs = {
                **dict(list(self._inputs.items())[-INPUTS_KEPT + 1 :]),
                dataset.content_hash: entity,
            }
        self.call(lambda: self.client.log_inputs(rid, datasets=[entity]))

    def project_runs(self, project_id: str, max_results: int = 5000) -> pd.DataFrame:
        """Every MLflow run of the project's experiment, newest first: one row per run with its
        `metrics.*`, `params.*` and `tags.*` columns, as `mlflow.search_runs` names them."""
        return self._runs(f"tags.`{PROJECT_TAG}` = '{project_id}'", "", max_results)

    def dataset_runs(self, dataset_hash: str, max_results: int = 5000) -> pd.DataFrame:
        """Every run of every project on the same data (the same content hash), newest first."""
        if not re.fullmatch(r"[0-9a-f]+", dataset_hash):
            raise TrackingError("This dataset has no identity to look its runs up by.", "Reload it.")
        return self._runs(
            f"tags.`{PROJECT_TAG}` != ''", f"tags.`mlcore.dataset_hash` = '{dataset_hash}'", max_results
        )

    def _runs(self, experiments: str, runs: str, max_results: int) -> pd.DataFrame:
        client = self.client
        found = self.call(lambda: client.search_experiments(filter_string=experiments))
        if not found:
            return pd.DataFrame()
        listed = self.call(
            lambda: client.search_runs(
                [e.experiment_id for e in found],
                runs,
                order_by=["attributes.start_time DESC"],
                max_results=max_results,
            )
        )
        rows = []
        for run in listed:
            row: dict[str, Any] = {
                "run_id": run.info.run_id,
                "status": run.info.status,
                "start_time": pd.Timestamp(run.info.start_time, unit="ms"),
            }
            row.update({f"metrics.{k}": v for k, v in run.data.metrics.items()})
            row.update({f"params.{k}": v for k, v in run.data.params.items()})
            row.update({f"tags.{k}": v for k, v in run.data.tags.items()})
            rows.append(row)
        return pd.DataFrame(rows)

    def delete_project(self, project_id: str) -> None:
        """Delete the project's experiment with its runs, and in the embedded store its artifacts
        (models, predictions) too; a server keeps deleted experiments until its own `mlflow gc`."""
        client = self.client
        self._experiments = {k: v for k, v in self._experiments.items() if k[0] != project_id}
        for experiment in self.call(
            lambda: client.search_experiments(filter_string=f"tags.`{PROJECT_TAG}` = '{project_id}'")
        ):
            self.call(lambda e=experiment: client.delete_experiment(e.experiment_id))
        if is_embedded(self.uri):
            remove_folder(self.home / "artifacts" / project_id)

    def delete_runs(self, mlflow_run_ids: list[str]) -> None:
        for rid in mlflow_run_ids:
            self.call(lambda r=rid: self.client.delete_run(r))

    # ---------- registry ----------

    def register(
        self, mlflow_run_id: str, name: str, description: str = "", aliases: tuple[str, ...] = ()
    ) -> ModelVersionInfo:
        """A new version of the registered model `name` from the run's logged model."""
        from mlflow.exceptions import MlflowException

        client = self.client
        try:
            client.get_registered_model(name)
        except MlflowException:
            self.call(lambda: client.create_registered_model(name))
        version = self.call(
            lambda: client.create_model_version(
                name, f"runs:/{mlflow_run_id}/{MODEL_PATH}", run_id=mlflow_run_id, description=description
            )
        )
        for alias in aliases:
            self.call(lambda a=alias: client.set_registered_model_alias(name, a, version.version))
        return self._version_info(self.call(lambda: client.get_model_version(name, version.version)))

    def set_alias(self, name: str, alias: str, version: str) -> None:
        """Point `alias` at `version` of the model; the version that had it loses it."""
        self.call(lambda: self.client.set_registered_model_alias(name, alias, version))

    def remove_alias(self, name: str, alias: str) -> None:
        self.call(lambda: self.client.delete_registered_model_alias(name, alias))

    def model_versions(self) -> list[ModelVersionInfo]:
        """Every version of every registered model, newest first."""
        client = self.client
        aliases: dict[tuple[str, str], list[str]] = {}
        for model in self.call(lambda: client.search_registered_models(max_results=1000)):
            for alias, version in (model.aliases or {}).items():
                aliases.setdefault((model.name, str(version)), []).append(alias)
        versions = self.call(lambda: client.search_model_versions(max_results=1000))
        found = [self._version_info(v, aliases.get((v.name, str(v.version)), ())) for v in versions]
        return sorted(found, key=lambda v: -v.created)

    def _version_info(self, version: Any, aliases: Any = None) -> ModelVersionInfo:
        try:
            metrics = dict(self.client.get_run(version.run_id).data.metrics) if version.run_id else {}
        except Exception:
            metrics = {}
        return ModelVersionInfo(
            version.name,
            str(version.version),
            tuple(sorted(aliases if aliases is not None else getattr(version, "aliases", ()) or ())),
            version.description or "",
            version.run_id or "",
            version.creation_timestamp / 1000,
            metrics,
        )

    # ---------- retries ----------

    def call(self, action: Callable[[], T]) -> T:
        """`action`, retried while SQLite says another process holds the database, and once more when
        another process inserted the same dataset first (MLflow checks, then inserts: two processes
        logging the same data as an input can both find it missing; the retry finds it)."""
        for attempt in range(LOCKED_RETRIES):
            try:
                return action()
            except Exception as exc:
                locked = "database is locked" in str(exc) and attempt < LOCKED_RETRIES - 1
                raced = RACED_INSERT in str(exc) and attempt < RACE_RETRIES
                if locked or raced:
                    time.sleep(min(0.05 * 2**attempt, 2.0))
                    continue
                if isinstance(exc, MLCoreError):
                    raise
                raise tracking_failed(self.uri, exc) from None
        raise AssertionError("unreachable")


# ---------- what a run becomes in MLflow ----------


def run_params(run: Run) -> dict[str, str]:
    """The flattened spec: preprocessing, split, seed, model and each of its parameters."""
    return spec_params(run.model_key, run.seed, run.prep, run.split, run.params)


def spec_params(
    model: str, seed: int, prep: PrepSpec, split: SplitSpec, params: dict[str, Any]
) -> dict[str, str]:
    """A training spec as MLflow params, one per setting (runs and search trials alike)."""
    flat: dict[str, str] = {"model": model, "seed": str(seed)}
    flat.update(_flatten("prep", prep.to_dict()))
    flat.update(_flatten("split", split.to_dict()))
    flat.update({f"param.{k}": _text(v) for k, v in params.items()})
    return {k[:250]: v[:6000] for k, v in flat.items()}


def run_metrics(run: Run) -> list[tuple[str, float, int]]:
    """(name, value, step): CV mean and std, each fold's score as steps, holdout scores, timings."""
    rows = [(f"cv_{k}", v, 0) for k, v in run.cv_mean.items()]
    rows += [(f"cv_{k}_std", v, 0) for k, v in run.cv_std.items()]
    rows += [(f"fold_{k}", v, i) for k, values in run.fold_scores.items() for i, v in enumerate(values)]
    rows += [(f"holdout_{k}", v, 0) for k, v in run.holdout.items()]
    rows += [("fit_seconds", run.fit_seconds, 0), ("total_seconds", run.total_seconds, 0)]
    return [(k, float(v), step) for k, v, step in rows if v == v]  # NaN is not a score


def prediction_tables(run: Run) -> dict[str, pd.DataFrame]:
    """The run's predictions as tables by file name: the holdout's, and the training rows' out-of-fold
    ones with the fold that predicted each (class probabilities named by class)."""
    tables = {}
    if run.y_true is not None and len(run.y_true):
        holdout = {"row": run.holdout_index, "actual": run.y_true, "predicted": run.y_pred}
        tables["holdout_predictions.csv"] = _with_scores(pd.DataFrame(holdout), run.proba, run.classes)
    if run.oof is not None:
        oof = run.oof
        columns = {"row": oof.index, "fold": oof.fold, "actual": oof.y_true, "predicted": oof.y_pred}
        frame = pd.DataFrame(columns)
        frame = _with_scores(frame, oof.proba, oof.classes)
        if oof.decision is not None:
            frame["score"] = oof.decision
        tables["oof_predictions.csv"] = frame
    return tables


def _with_scores(frame: pd.DataFrame, proba: Any, classes: Any) -> pd.DataFrame:
    if proba is not None and classes is not None:
        for i, label in enumerate(classes):
            frame[f"probability {label}"] = proba[:, i]
    return frame


def save_mlflow_model(folder: Path, run: Run, dataset: Dataset, model: bytes) -> None:
    """An MLflow model folder around the run's skops file, as `mlflow.sklearn.save_model` writes one
    (sklearn and pyfunc flavours, signature, input example, requirements) without dumping the
    pipeline a second time or re-loading it to check."""
    import sklearn
    from mlflow import pyfunc
    from mlflow.models import Model, infer_signature
    from mlflow.models.utils import _save_example

    from mlcore.deploy.bundle import requirements_text
    from mlcore.deploy.sandbox import TRUSTED_TYPES

    folder.mkdir(parents=True)
    (folder / "model.skops").write_bytes(model)
    features = list(run.pipeline.feature_names_in_)
    if run.holdout_index is not None and len(run.holdout_index) and run.y_pred is not None:
        # Holdout rows with the predictions made at training time: no model call needed.
        example = dataset.frame.loc[run.holdout_index[:EXAMPLE_ROWS], features]
        outputs = run.y_pred[:EXAMPLE_ROWS]
    else:
        example = dataset.frame[features].head(EXAMPLE_ROWS)
        outputs = run.pipeline.predict(example)
    mlflow_model = Model()
    with warnings.catch_warnings():  # MLflow's hint about integer columns: our schema says what they are
        warnings.simplefilter("ignore", UserWarning)
        _save_example(mlflow_model, example, str(folder))
        mlflow_model.signature = infer_signature(example, outputs)
    pyfunc.add_to_model(
        mlflow_model, loader_module="mlflow.sklearn", model_path="model.skops", python_env="python_env.yaml"
    )
    mlflow_model.add_flavor(
        "sklearn",
        pickled_model="model.skops",
        sklearn_version=sklearn.__version__,
        serialization_format="skops",
        code=None,
        skops_trusted_types=sorted(TRUSTED_TYPES),  # our allow-list: every type our pipelines use
    )
    mlflow_model.save(str(folder / "MLmodel"))
    requirements = [
        line for line in requirements_text(run.pipeline).splitlines() if line and not line.startswith("#")
    ]
    (folder / "requirements.txt").write_text("\n".join(requirements) + "\n")
    (folder / "python_env.yaml").write_text(
        json.dumps({"python": run.versions.get("python", ""), "dependencies": ["-r requirements.txt"]})
    )


def _flatten(prefix: str, value: Any) -> dict[str, str]:
    if isinstance(value, dict):
        out: dict[str, str] = {}
        for key, inner in value.items():
            out.update(_flatten(f"{prefix}.{key}", inner))
        return out
    return {prefix: _text(value)}


def _text(value: Any) -> str:
    return json.dumps(value, default=str) if not isinstance(value, str) else value


def registry_name(text: str) -> str:
    """A registered model's name or an alias made from any text (letters, digits, `_ . -`)."""
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", text).strip("-")


# ---------- the store's health ----------


def writer() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def mark_interrupted(client: Any) -> int:
    """Runs left RUNNING by a process of this host that no longer exists (killed while it logged)
    are marked KILLED with status `interrupted`; returns how many."""
    host = socket.gethostname()
    marked = 0
    for experiment in client.search_experiments(filter_string=f"tags.`{PROJECT_TAG}` != ''"):
        for run in client.search_runs([experiment.experiment_id], "attributes.status = 'RUNNING'"):
            where = run.data.tags.get(WRITER_TAG, "")
            name, _, pid = where.partition(":")
            if name == host and pid.isdigit() and not pid_alive(int(pid)):
                client.set_tag(run.info.run_id, STATUS_TAG, "interrupted")
                client.set_terminated(run.info.run_id, "KILLED")
                marked += 1
    return marked


def pid_alive(pid: int) -> bool:
    """Whether a process of this machine still exists (one of another user's counts as alive)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def unreachable(uri: str, exc: Exception) -> TrackingError:
    if is_embedded(uri):
        return TrackingError(
            f"The workbench's MLflow store could not be opened ({_short(exc)}).",
            "If it was written by a newer MLflow, use that version; otherwise move mlflow.db aside and "
            "start again (projects keep their runs).",
        )
    return TrackingError(
        f"The MLflow tracking server at {safe_uri(uri)} does not answer ({_short(exc)}).",
        "Check that it runs and that MLFLOW_TRACKING_URI is right; runs are kept in the project meanwhile.",
    )


def tracking_failed(uri: str, exc: Exception) -> TrackingError:
    return TrackingError(
        f"MLflow could not do what was asked ({_short(exc)}).",
        f"Runs stay in the project either way; check the tracking store at {safe_uri(uri)}.",
    )


def _short(exc: Exception) -> str:
    text = " ".join(str(exc).split())
    return text[:300] + ("…" if len(text) > 300 else "")


def safe_uri(uri: str) -> str:
    """The URI without a password (`scheme://user:secret@host` → `scheme://user@host`)."""
    scheme, sep, rest = uri.partition("://")
    if not sep or "@" not in rest.split("/")[0]:
        return uri
    credentials, _, host = rest.partition("@")
    return f"{scheme}://{credentials.split(':')[0]}@{host}"


def mlflow_run_of(store: Any, ref: str) -> str:
    """The MLflow run id for `ref`: a workbench run id found in a project, or an MLflow run id as is."""
    for info in store.list():
        for run in info.runs:
            if run.id == ref:
                tracked = store.tracked(info.id, ref).get("mlflow_run_id")
                if not tracked:
                    raise TrackingError(
                        f"Run {ref} is kept in project '{info.name}' but is not tracked in MLflow.",
                        "Train it again with tracking on (MLCORE_TRACKING unset).",
                    )
                return tracked
    if re.fullmatch(r"[0-9a-f]{32}", ref):
        return ref
    raise TrackingError(f"There is no run '{ref}'.", "List runs with `mlcore runs list`.")
