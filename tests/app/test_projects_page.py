"""Projects in the app (issue 13): the URL reopens a project, the Projects page lists, renames and
deletes them, and a link to a project that is gone says so."""

from __future__ import annotations

import os
from pathlib import Path

from streamlit.testing.v1 import AppTest

from mlcore.data.samples import load_sample
from mlcore.track.project_files import ProjectSettings
from mlcore.track.projects import ProjectStore
from mlcore.train.fit import train_model
from mlcore.train.runs import ModelChoice, TrainRequest
from mlcore.train.split import SplitSpec

APP = str(Path(__file__).resolve().parents[2] / "app.py")


def _store() -> ProjectStore:
    return ProjectStore(Path(os.environ["MLCORE_HOME"]))  # the tests' own home (tests/conftest.py)


def _project_with_a_run(name: str) -> tuple[str, str]:
    dataset = load_sample("wine")
    run = train_model(TrainRequest(dataset, split=SplitSpec(cv_folds=2)), ModelChoice("decision_tree"))
    info = _store().create(dataset, ProjectSettings(seed=4, model_keys=("decision_tree",)), name=name)
    _store().save_run(info.id, run)
    return info.id, run.id


def test_the_url_reopens_the_project_with_its_settings_and_runs():
    project, run = _project_with_a_run("Wine lesson")
    at = AppTest.from_file(APP, default_timeout=60)
    at.query_params["project"] = project
    at.run()
    assert not at.exception
    workspace = at.session_state["workspace"]
    assert workspace.project.id == project and workspace.dataset.name == load_sample("wine").name
    assert workspace.seed == 4 and [r.id for r in workspace.current_runs()] == [run]
    assert "Project: Wine lesson" in "\n".join(m.value for m in at.sidebar.markdown)
    at.switch_page("pages/train.py").run()
    assert not at.exception
    assert at.query_params["project"] == project  # kept in the URL across pages


def test_a_new_sample_starts_a_project_and_puts_it_in_the_url():
    at = AppTest.from_file(APP, default_timeout=60).run()
    at.selectbox(key="sample_choice").select("iris").run()
    next(b for b in at.button if b.label == "Load sample").click().run()
    workspace = at.session_state["workspace"]
    assert workspace.project is not None
    assert at.query_params["project"] == workspace.project.id
    assert _store().info(workspace.project.id).dataset_name == workspace.dataset.name


def test_a_link_to_a_deleted_project_says_so():
    project, _ = _project_with_a_run("Gone")
    _store().delete(project)
    at = AppTest.from_file(APP, default_timeout=60)
    at.query_params["project"] = project
    at.run()
    assert not at.exception
    assert any("does not exist on this workbench" in e.value for e in at.error)
    assert at.session_state["workspace"].dataset is None


def test_the_projects_page_lists_a_project_with_its_runs_and_best_score():
    project, _ = _project_with_a_run("Wine, to list")
    at = AppTest.from_file(APP, default_timeout=60)
    at.query_params["project"] = project
    at.run()
    at.switch_page("pages/projects.py").run()
    assert not at.exception
    table = at.dataframe[0].value
    assert "Wine, to list" in set(table["project"])
    row = table[table["project"] == "Wine, to list"].iloc[0]
    assert (
        row["runs"] == 1 and row["rows × columns"] == "178 × 14" and row["best"].startswith("Decision tree")
    )
