"""The History page's registry (issue 13): an alias moves from one version to another in one click,
and an alias can be taken away; MLflow's registry says so afterwards."""

from __future__ import annotations

from pathlib import Path

import pytest

from mlcore.data.samples import load_sample
from mlcore.track.project_files import ProjectSettings, model_bytes
from mlcore.track.projects import ProjectStore
from mlcore.track.recorder import Recorder
from mlcore.track.tracking import Tracker
from mlcore.train.fit import train_model
from mlcore.train.runs import ModelChoice, TrainRequest
from mlcore.train.split import SplitSpec
from mlcore.workspace import Workspace

NAME = "wine-model"


@pytest.fixture
def registry(tmp_path: Path) -> tuple[Workspace, Tracker]:
    """A project with two tracked runs registered as versions 1 (champion) and 2 (challenger)."""
    home = tmp_path / "home"
    store, tracker = ProjectStore(home), Tracker(f"sqlite:///{home / 'mlflow.db'}", home)
    dataset = load_sample("wine")
    request = TrainRequest(dataset, split=SplitSpec(cv_folds=2))
    info = store.create(dataset, ProjectSettings())
    for model, alias in (("decision_tree", "champion"), ("logistic_regression", "challenger")):
        run = train_model(request, ModelChoice(model))
        store.save_run(info.id, run)
        tracker.register(
            tracker.log_run(info.id, info.name, run, dataset, model_bytes(run)), NAME, "", (alias,)
        )
    workspace = Workspace(recorder=Recorder(store, tracker))
    workspace.open_project(info.id)
    return workspace, tracker


def _aliases(tracker: Tracker) -> dict[str, str]:
    return {a: v.version for v in tracker.model_versions() for a in v.aliases}


def test_an_alias_moves_to_another_version_and_can_be_removed(open_app, registry):
    workspace, tracker = registry
    at = open_app("pages/history.py", workspace, timeout=120)
    assert _aliases(tracker) == {"champion": "1", "challenger": "2"}
    at.selectbox(key="history_alias").set_value("champion").run()
    at.selectbox(key="history_alias_version").set_value("2").run()
    assert any("'champion' is on version 1." in c.value for c in at.caption)
    next(b for b in at.button if b.label == "Point it at version 2").click().run()
    assert not at.exception
    assert _aliases(tracker) == {"champion": "2", "challenger": "2"}  # moved: version 1 lost it
    table = next(d.value for d in at.dataframe if "aliases" in d.value.columns)
    assert table.set_index("version").loc[1, "aliases"] == ""
    assert table.set_index("version").loc[2, "aliases"] == "challenger, champion"

    at.selectbox(key="history_alias").set_value("challenger").run()
    next(b for b in at.button if b.label == "Remove it").click().run()
    assert not at.exception
    assert _aliases(tracker) == {"champion": "2"}
