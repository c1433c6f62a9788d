"""What to serve, from a reference a person types: `NAME@ALIAS` or `NAME/VERSION` (a registered model,
with or without MLflow's `models:/` prefix), a run id of a project, or a bundle's `.zip` / `.skops`.

Models come only from the workbench's own store (its `.skops` files, read through the allow-list) or
from a bundle loaded in the sandboxed worker, never from a request.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from mlcore.dataset import Dataset
from mlcore.deploy.bundle import installed_version, load_model_file
from mlcore.deploy.card import run_metrics
from mlcore.deploy.input_schema import MAX_LEVELS
from mlcore.deploy.predict import Predictor, predict_values, predictor_from_run
from mlcore.deploy.rest_api import Answer, ApiModel, InputProblem
from mlcore.errors import MLCoreError
from mlcore.serve.examples import example_row
from mlcore.track.projects import ProjectStore
from mlcore.track.tracking import PROJECT_TAG, RUN_TAG, Tracker, TrackingError
from mlcore.train.run_data import holdout_rows
from mlcore.train.runs import Run

MODEL_URI = "models:/"
SERVER_LIBRARIES = ("fastapi", "uvicorn", "pydantic", "scikit-learn", "skops", "xgboost", "numpy", "pandas")


class ServeError(MLCoreError):
    """A model that cannot be served as asked."""


@dataclass(frozen=True)
class Served:
    """A model ready to serve, and the project whose traffic log its requests go to (None: a bundle)."""

    model: ApiModel
    project_id: str | None
    ref: str
    example: dict[str, Any]  # a real row (a holdout row of its run; a bundle's typical values)


def resolve(ref: str, home: Path, threshold: float | None = None) -> Served:
    """The model `ref` names, loaded; `threshold` is a decision threshold chosen on Evaluate."""
    ref = ref.strip()
    path = Path(ref).expanduser()
    if ref.lower().endswith((".zip", ".skops")) or path.is_file():
        return _from_bundle(path)
    return _from_run(locate(ref, home), threshold)


@dataclass(frozen=True)
class Located:
    """A run of a project in this workbench home, as a person named it: a registered version
    (its model name and version) or a run id (its label and "run <id>")."""

    project_id: str
    run: Run
    dataset: Dataset
    name: str
    version: str
    ref: str  # the canonical reference: NAME/VERSION or the run id


def locate(ref: str, home: Path) -> Located:
    """The project run `ref` names: `NAME@ALIAS`, `NAME/VERSION` (with or without `models:/`) or a run id."""
    ref = ref.strip()
    registered = _registered(ref)
    if registered is not None:
        return _from_registry(home, *registered)
    store = ProjectStore(home)
    for info in store.list():
        if any(run.id == ref for run in info.runs):
            state = store.load(info.id)
            run = store.load_run(info.id, ref)
            return Located(info.id, run, state.dataset, run.label, f"run {run.id}", ref)
    raise ServeError(
        f"There is no model called '{ref}'.",
        "Give NAME@ALIAS or NAME/VERSION of a registered model (`mlcore register` makes one), a run id "
        "(`mlcore runs list`), or the path of an exported bundle (.zip).",
    )


def _registered(ref: str) -> tuple[str, str | None, str | None] | None:
    """(name, alias, version) of a registry reference, or None when `ref` is not one."""
    text = ref[len(MODEL_URI) :] if ref.startswith(MODEL_URI) else ref
    if "@" in text:
        name, _, alias = text.rpartition("@")
        return (name, alias, None) if name and alias else None
    match = re.fullmatch(r"(.+)/(\d+)", text)
    return (match.group(1), None, match.group(2)) if match else None


def _from_registry(home: Path, name: str, alias: str | None, version: str | None) -> Located:
    from mlcore.track.home import tracking_uri

    tracker = Tracker(tracking_uri(home), home)
    said = f"{name}@{alias}" if alias else f"{name} version {version}"
    try:
        found = (
            tracker.call(lambda: tracker.client.get_model_version_by_alias(name, alias))
            if alias
            else tracker.call(lambda: tracker.client.get_model_version(name, version))
        )
        tags = tracker.call(lambda: tracker.client.get_run(found.run_id)).data.tags
    except TrackingError as exc:
        if "not found" not in exc.message.lower():
            raise  # the store is unreachable: that, not a missing model, is what to say
        raise ServeError(
            f"The registry has no model {said}.",
            "List the registered models on the Deploy page or in MLflow.",
        ) from None
    project_id, run_id = tags.get(PROJECT_TAG), tags.get(RUN_TAG)
    store = ProjectStore(home)
    if not project_id or not run_id or not store.exists(project_id):
        raise ServeError(
            f"{said} was registered from a project that is not in this workbench home.",
            "Import the project (.mlproject) here, or serve the model's exported bundle (.zip).",
        )
    state = store.load(project_id)
    run = store.load_run(project_id, run_id)
    return Located(project_id, run, state.dataset, name, str(found.version), f"{name}/{found.version}")


def _from_run(found: Located, threshold: float | None) -> Served:
    run, dataset, project_id = found.run, found.dataset, found.project_id
    if not run.has_model:
        raise ServeError(
            "This run kept no model (it failed or was stopped).", "Train it again, then serve it."
        )
    predictor = predictor_from_run(run, dataset, threshold)
    facts = {
        "run_id": run.id,
        "project_id": project_id,
        "estimator": run.model_name,
        "metrics": run_metrics(run),
        "training_rows": run.n_train_rows,
        "training_data_hash": dataset.content_hash,
        "decision_rule": predictor.rule.sentence() if predictor.rule else None,
        "library_versions": {**run.versions, **_server_versions()},
    }
    rows = holdout_rows(run, dataset)
    example = example_row(rows if len(rows) else dataset.frame, predictor.schema.names)
    return Served(api_model(predictor, found.name, found.version, facts), project_id, found.ref, example)


def _from_bundle(path: Path) -> Served:
    if not path.is_file():
        raise ServeError(
            f"There is no file '{path}'.", "Give the path of a bundle exported by the workbench."
        )
    predictor = load_model_file(path.read_bytes(), path.name)
    facts = {
        "bundle": path.name,
        "decision_rule": predictor.rule.sentence() if predictor.rule else None,
        "library_versions": _server_versions(),
    }
    typical = {f.name: f.default for f in predictor.schema.features}
    return Served(
        api_model(predictor, predictor.name, f"bundle {path.name}", facts), None, str(path), typical
    )


def _server_versions() -> dict[str, str]:
    return {name: v for name in SERVER_LIBRARIES if (v := installed_version(name))}


def api_model(predictor: Predictor, name: str, version: str, facts: dict[str, Any]) -> ApiModel:
    """The API's view of a predictor: its schema, and a predict function applying the Predict page's
    rules (conversions to the training types, unknown categories, the decision threshold)."""
    schema = predictor.schema

    def predict(frame: pd.DataFrame) -> Answer:
        try:
            labels, probabilities, notes = predict_values(predictor, frame)
        except MLCoreError as exc:
            raise InputProblem(exc.message, exc.hint) from None
        classes = np.asarray(predictor.pipeline.classes_).tolist() if probabilities is not None else None
        return Answer(labels, probabilities, classes, notes)

    classes = None if schema.classes is None else [_plain(c) for c in schema.classes]
    features = schema.to_dict()["features"]
    return ApiModel(
        name, version, features, schema.target, schema.task.value, predict, classes, facts, MAX_LEVELS
    )


def _plain(value: Any) -> Any:
    return value.item() if isinstance(value, np.generic) else value
