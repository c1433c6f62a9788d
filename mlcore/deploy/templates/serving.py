"""serve.py's own part: the bundle's model and card as the API's model, and the app uvicorn runs."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import joblib
import numpy as np
from _script import MAX_LEVELS, OPEN_VARIABLE, ORIGINS_VARIABLE

from mlcore.deploy.rest_api import KEY_VARIABLE, Answer, ApiModel, ApiSettings, InputProblem, make_app
from mlcore.deploy.row_rules import UNREADABLE_HINT, convert_rows, decide, unreadable_message

HERE = Path(__file__).resolve().parent


def load_model():
    """The API's view of model.joblib, described by model_card.json."""
    card = json.loads((HERE / "model_card.json").read_text(encoding="utf-8"))
    model = joblib.load(HERE / "model.joblib")
    features = card["features"]

    def predict(frame):
        X, notes, unreadable = convert_rows(frame, features, MAX_LEVELS)
        if unreadable:
            raise InputProblem(
                unreadable_message(unreadable, features),
                UNREADABLE_HINT,
            )
        labels, proba = decide(model, X, card["task"] == "classification", card.get("decision_rule"))
        classes = None if proba is None else np.asarray(model.classes_).tolist()
        return Answer(labels, proba, classes, notes)

    facts = {
        "run_id": card.get("run_id"),
        "estimator": card["model"]["name"],
        "metrics": card["metrics"],
        "training_rows": card["training"]["rows"],
        "training_data_hash": card["dataset"]["content_hash"],
        "decision_rule": card.get("decision_rule"),
        "library_versions": card["versions"],
    }
    version = f"run {card.get('run_id')}"
    return ApiModel(
        card["title"],
        version,
        features,
        card["target"],
        card["task"],
        predict,
        card["classes"],
        facts,
        MAX_LEVELS,
    )


def settings():
    """The API key from the environment; without one the server refuses to start unless told the
    API may be open (behind a gateway that checks callers itself)."""
    key = os.environ.get(KEY_VARIABLE) or None
    if key is None and os.environ.get(OPEN_VARIABLE) != "1":
        sys.exit(
            f"Set {KEY_VARIABLE} to the API key callers must send (Authorization: Bearer <key>), "
            f"or {OPEN_VARIABLE}=1 to serve without a key."
        )
    origins = tuple(o.strip() for o in os.environ.get(ORIGINS_VARIABLE, "").split(",") if o.strip())
    return ApiSettings(api_key=key, cors_origins=origins)


app = make_app(load_model(), settings())

if __name__ == "__main__":
    import uvicorn

    uvicorn.run(app, host=os.environ.get("HOST", "127.0.0.1"), port=int(os.environ.get("PORT", "8000")))
