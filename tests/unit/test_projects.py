"""Projects on disk (issue 13): a session's work comes back exactly, files are checked on the way in,
and a failed write leaves the store as it was."""

from __future__ import annotations

import errno
import io
import json
import pickle
import zipfile
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from mlcore.data.samples import load_sample
from mlcore.explain.explainer import rows_to_explain, run_explainer
from mlcore.track import files
from mlcore.track.archive import export_project, import_project
from mlcore.track.files import StoreError
from mlcore.track.project_files import ProjectFileError, ProjectSettings
from mlcore.track.projects import FORMAT, ProjectNotFoundError, ProjectStore
from mlcore.track.recorder import Recorder
from mlcore.train.fit import train_model, validate_request
from mlcore.train.leaderboard import leaderboard
from mlcore.train.prep_spec import PrepSpec
from mlcore.train.runs import ModelChoice, Run, TrainRequest
from mlcore.train.split import SplitSpec
from mlcore.workspace import Workspace

MODELS = ("logistic_regression", "random_forest", "mlp")


@pytest.fixture(scope="module")
def trained() -> tuple[TrainRequest, list[Run]]:
    dataset = load_sample("penguins")
    request = TrainRequest(dataset, split=SplitSpec(cv_folds=3), models=tuple(ModelChoice(m) for m in MODELS))
    split = validate_request(request)
    return request, [train_model(request, choice, split) for choice in request.models]


def _store(tmp_path: Path, name: str = "home") -> ProjectStore:
    return ProjectStore(tmp_path / name)


def _features(run: Run, frame: pd.DataFrame) -> pd.DataFrame:
    return frame[list(run.pipeline.feature_names_in_)]


def _in_order(runs) -> list[Run]:
    return sorted(runs, key=lambda r: MODELS.index(r.model_key))


def _assert_same_runs(before: list[Run], after: list[Run], frame: pd.DataFrame) -> None:
    assert [r.id for r in after] == [r.id for r in before]
    pd.testing.assert_frame_equal(leaderboard(after), leaderboard(before))
    for old, new in zip(before, after, strict=True):
        assert new.label == old.label and new.params == old.params and new.fold_scores == old.fold_scores
        np.testing.assert_array_equal(new.holdout_index, old.holdout_index)
        np.testing.assert_array_equal(new.y_pred, old.y_pred)
        np.testing.assert_allclose(new.proba, old.proba)
        assert new.classes == old.classes and new.class_counts == old.class_counts
        assert old.oof is not None and new.oof.classes == old.oof.classes  # out-of-fold, kept as trained
        for name in ("index", "fold", "y_true", "y_pred", "proba"):
            np.testing.assert_array_equal(getattr(new.oof, name), getattr(old.oof, name))
        X = _features(old, frame)
        np.testing.assert_array_equal(new.pipeline.predict(X), old.pipeline.predict(X))


def test_a_project_round_trip_gives_the_same_leaderboard_predictions_and_shap_values(tmp_path, trained):
    request, runs = trained
    store = _store(tmp_path)
    settings = ProjectSettings(prep=PrepSpec(), seed=7, model_keys=MODELS, selected=(runs[1].id,))
    info = store.create(request.dataset, settings)
    for run in runs:
        store.save_run(info.id, run)

    state = ProjectStore(store.home).load(info.id)  # another process would read it so

    assert state.settings == settings
    assert state.dataset.content_hash == request.dataset.content_hash
    assert state.dataset.columns == request.dataset.columns and state.dataset.target == "species"
    pd.testing.assert_frame_equal(state.dataset.frame, request.dataset.frame)
    # Missing text cells come back as NaN, as loaded (Parquet gives None, which imputers miss).
    assert state.dataset.frame["sex"].isna().sum() == request.dataset.frame["sex"].isna().sum() > 0
    assert all(v is not None for v in state.dataset.frame["sex"])
    restored = _in_order(state.runs)
    _assert_same_runs(runs, restored, request.dataset.frame)
    # SHAP values of the restored forest equal the original's, row for row.
    original, back = runs[1], restored[1]
    rows = rows_to_explain(original, request.dataset, 20, 0)
    expected = run_explainer(original, request.dataset).explain(rows).values
    np.testing.assert_allclose(run_explainer(back, state.dataset).explain(rows).values, expected)
    assert (
        state.info.best is not None
        and state.info.best.id == max(runs, key=lambda r: r.cv_mean["accuracy"]).id
    )


def test_models_are_read_only_when_first_used(tmp_path, trained):
    request, runs = trained
    store = _store(tmp_path)
    info = store.create(request.dataset, ProjectSettings())
    store.save_run(info.id, runs[0])
    restored = store.load(info.id).runs[0]
    assert restored.fitted is None and restored.has_model  # the leaderboard needs no model file
    assert restored.pipeline is not None


def test_the_workspace_reopens_its_project_as_it_was_left(tmp_path, trained):
    request, runs = trained
    recorder = Recorder(_store(tmp_path), tracker=None)
    first = Workspace(recorder=recorder)
    assert first.load_sample("penguins")
    first.configure(seed=3, model_keys=MODELS[:2], prep=replace(PrepSpec(), imbalance="class_weight"))
    for run in runs:
        first._keep_run(run)
    first.evaluation.selected = (runs[0].id,)
    first.use_run = runs[1].id
    first.save_state()
    assert recorder.flush(60)

    second = Workspace(recorder=Recorder(ProjectStore(recorder.store.home), tracker=None))
    assert second.open_project(first.project.id)

    assert second.seed == 3 and second.model_keys == MODELS[:2] and second.prep.imbalance == "class_weight"
    assert second.evaluation.selected == (runs[0].id,) and second.use_run == runs[1].id
    _assert_same_runs(
        runs, sorted(second.current_runs(), key=lambda r: MODELS.index(r.model_key)), request.dataset.frame
    )


def test_a_schema_edit_is_saved_and_a_new_sample_starts_a_new_project(tmp_path):
    workspace = Workspace(recorder=Recorder(_store(tmp_path), tracker=None))
    assert workspace.load_sample("penguins")
    first = workspace.project.id
    assert workspace.set_target("island")
    workspace.save_state()
    assert ProjectStore(workspace.recorder.store.home).load(first).dataset.target == "island"
    assert workspace.load_sample("iris")
    assert workspace.project.id != first
    assert {p.id for p in workspace.recorder.store.list()} == {first, workspace.project.id}


def test_opening_a_missing_project_keeps_the_session(tmp_path):
    workspace = Workspace(recorder=Recorder(_store(tmp_path), tracker=None))
    assert workspace.load_sample("iris")
    assert not workspace.open_project("000000000000")
    assert isinstance(workspace.problem, ProjectNotFoundError)
    assert workspace.dataset.name == load_sample("iris").name


def test_export_and_import_between_two_homes(tmp_path, trained):
    request, runs = trained
    teacher = _store(tmp_path, "teacher")
    info = teacher.create(request.dataset, ProjectSettings(seed=5))
    for run in runs:
        teacher.save_run(info.id, run)
    student = _store(tmp_path, "student")

    imported = import_project(student, export_project(teacher, info.id))

    assert imported.id != info.id and imported.name == info.name
    state = student.load(imported.id)
    assert state.settings.seed == 5
    _assert_same_runs(
        runs, sorted(state.runs, key=lambda r: MODELS.index(r.model_key)), request.dataset.frame
    )


def _exported(tmp_path: Path, trained) -> tuple[ProjectStore, bytes]:
    request, runs = trained
    store = _store(tmp_path, "source")
    info = store.create(request.dataset, ProjectSettings())
    store.save_run(info.id, runs[0])
    return store, export_project(store, info.id)


def _rewritten(data: bytes, change) -> bytes:
    members = {}
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        members = {name: archive.read(name) for name in archive.namelist()}
    change(members)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for name, content in members.items():
            archive.writestr(name, content)
    return out.getvalue()


def test_a_truncated_project_file_is_refused_and_the_store_unchanged(tmp_path, trained):
    _, data = _exported(tmp_path, trained)
    target = _store(tmp_path, "target")
    with pytest.raises(ProjectFileError, match="not a project file"):
        import_project(target, data[: len(data) // 2])
    assert target.list() == [] and not (target.root.exists() and any(target.root.iterdir()))


def test_a_pickle_in_a_project_file_is_never_loaded(tmp_path, trained):
    _, data = _exported(tmp_path, trained)
    target = _store(tmp_path, "target")

    class Boom:
        def __reduce__(self):
            return (Path.touch, (tmp_path / "pwned",))

    payload = pickle.dumps(Boom())

    def as_extra_member(members: dict) -> None:
        members["model.pkl"] = payload

    def as_the_model(members: dict) -> None:
        model = next(name for name in members if name.endswith("model.skops"))
        members[model] = payload

    with pytest.raises(ProjectFileError, match="files a project never has"):
        import_project(target, _rewritten(data, as_extra_member))
    with pytest.raises(ProjectFileError, match="model in the project file was refused"):
        import_project(target, _rewritten(data, as_the_model))
    assert not (tmp_path / "pwned").exists()
    assert target.list() == []


def test_a_damaged_member_or_a_newer_format_is_refused(tmp_path, trained):
    _, data = _exported(tmp_path, trained)
    target = _store(tmp_path, "target")

    def bad_json(members: dict) -> None:
        members["settings.json"] = b"{not json"

    def newer(members: dict) -> None:
        record = json.loads(members["project.json"])
        members["project.json"] = json.dumps({**record, "format": FORMAT + 1}).encode()

    def other_rows(members: dict) -> None:
        buffer = io.BytesIO()
        pd.DataFrame({"x": [1, 2]}).to_parquet(buffer)
        members["data.parquet"] = buffer.getvalue()

    with pytest.raises(ProjectFileError, match="not valid JSON"):
        import_project(target, _rewritten(data, bad_json))
    with pytest.raises(ProjectFileError, match="newer version"):
        import_project(target, _rewritten(data, newer))
    with pytest.raises(ProjectFileError, match="does not match"):
        import_project(target, _rewritten(data, other_rows))
    assert target.list() == []


def test_a_full_disk_is_a_plain_message_and_changes_nothing(tmp_path, trained, monkeypatch):
    request, runs = trained
    store = _store(tmp_path)
    info = store.create(request.dataset, ProjectSettings())
    before = store.load(info.id)

    def full(*args: object) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(files.os, "replace", full)
    with pytest.raises(StoreError, match=r"disk .* is full"):
        store.save_run(info.id, runs[0])
    with pytest.raises(StoreError, match=r"disk .* is full"):
        store.save_settings(info.id, ProjectSettings(seed=9))
    monkeypatch.undo()

    after = store.load(info.id)
    assert after.runs == () and after.settings == before.settings
    assert not list(store.folder(info.id).rglob("*.tmp"))  # no half-written file left behind


def test_rename_duplicate_and_delete(tmp_path, trained):
    request, runs = trained
    store = _store(tmp_path)
    info = store.create(request.dataset, ProjectSettings())
    store.save_run(info.id, runs[0])
    store.rename(info.id, "  Lesson\n1 \x1b[31m ")
    assert store.info(info.id).name == "Lesson 1 [31m"  # one printable line
    copy = store.duplicate(info.id)
    assert copy.name == "Lesson 1 [31m (copy)" and [r.id for r in copy.runs] == [runs[0].id]
    store.delete(info.id)
    assert [p.id for p in store.list()] == [copy.id]
    assert not (store.root / info.id).exists()
    assert store.load(copy.id).runs[0].pipeline is not None  # the copy has its own files


def test_a_lesson_in_a_project_file_is_read_as_data_only_and_a_hostile_one_refuses_the_import(tmp_path):
    from mlcore.teach.lessons import built_in

    store = ProjectStore(tmp_path / "teacher")
    info = store.create(load_sample("iris"), ProjectSettings())
    store.save_lesson(info.id, built_in()[0])
    exported = export_project(store, info.id)
    handed = ProjectStore(tmp_path / "class")
    assert handed.lessons(import_project(handed, exported).id) == [built_in()[0]]
    buffer = io.BytesIO(exported)
    with zipfile.ZipFile(buffer, "a") as archive:
        hostile = "key: evil\ntitle: !!python/object/apply:os.system ['touch x']\n"
        archive.writestr("lessons/evil.yaml", hostile)
    with pytest.raises(ProjectFileError, match="A lesson in the project file was refused"):
        import_project(handed, buffer.getvalue())
    assert len(handed.list()) == 1  # nothing of the refused file was written
