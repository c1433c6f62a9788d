"""A small table whose drift is known, and a model of it registered in a workbench home."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from mlcore.dataset import build_dataset, hash_frame
from mlcore.track.project_files import ProjectSettings
from mlcore.track.projects import ProjectStore
from mlcore.track.recorder import Recorder
from mlcore.track.tracking import Tracker
from mlcore.train.fit import train_model
from mlcore.train.runs import ModelChoice, TrainRequest
from mlcore.train.split import SplitSpec

NAME = "toy"


def rows(n: int, seed: int, drifted: bool = False) -> pd.DataFrame:
    """Two numbers and a colour; the label follows x2's sign. Drifted: x1 moves up, the colours'
    shares change, and where x1 > 1 the rule flips (what the model learned there no longer holds)."""
    rng = np.random.default_rng(seed)
    x1 = rng.normal(2.0, 0.7, n) if drifted else rng.normal(0.0, 1.0, n)
    x2 = rng.normal(0.0, 1.0, n)
    colour = rng.choice(["red", "green", "blue"], n, p=[0.2, 0.3, 0.5] if drifted else [0.5, 0.3, 0.2])
    positive = (x2 > 0) != (drifted & (x1 > 1))
    return pd.DataFrame({"x1": x1, "x2": x2, "colour": colour, "label": np.where(positive, "yes", "no")})


def register_toy(home: Path) -> Recorder:
    """A decision tree trained on 600 rows in a project of `home`, tracked and registered as
    toy@champion (version 1); the recorder that did it."""
    frame = rows(600, 0)
    dataset = build_dataset(
        frame, name="toy.csv", source="test", content_hash=hash_frame(frame), target="label"
    )
    request = TrainRequest(dataset, split=SplitSpec(cv_folds=3), models=(ModelChoice("decision_tree"),))
    run = train_model(request, request.models[0])
    store = ProjectStore(home)
    recorder = Recorder(store, Tracker(f"sqlite:///{home / 'mlflow.db'}", home))
    info = store.create(dataset, ProjectSettings())
    recorder.record(info.id, info.name, run, dataset)
    assert recorder.flush(120) and recorder.problem is None
    recorder.tracker.register(store.tracked(info.id, run.id)["mlflow_run_id"], NAME, "", ("champion",))
    return recorder
