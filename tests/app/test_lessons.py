"""Lessons (issue 17, item 5): every built-in lesson followed from the Teach page to its last step,
each step opening its page in its prepared state; a lesson written in the editor saved with the
project and exported with it."""

from __future__ import annotations

import pytest
from apptest_support import shown

from mlcore.teach.lesson_data import lesson_dataset
from mlcore.teach.lessons import built_in, parse_lesson
from mlcore.track.archive import export_project, import_project
from mlcore.track.projects import ProjectStore
from mlcore.track.recorder import Recorder
from mlcore.workspace import Workspace

PAGE = "pages/teach.py"
TITLES = {
    "data": "Data",
    "explore": "Explore",
    "discover": "Discover",
    "prepare": "Prepare",
    "train": "Train",
    "evaluate": "Evaluate",
    "explain": "Explain",
    "teach": "Teach",
}


def _banner(at) -> str:
    return next(shown(m.value) for m in at.main.markdown if m.value.startswith("**Lesson: "))


@pytest.mark.parametrize("lesson", built_in(), ids=lambda lesson: lesson.key)
def test_a_built_in_lesson_is_followed_to_its_last_step(open_app, lesson):
    at = open_app(PAGE, Workspace(), timeout=120)
    at.session_state["teach_tab"] = "Lessons"
    at.run()
    next(b for b in at.button if b.key == f"lesson.start.{lesson.key}").click().run()
    ws = at.session_state["workspace"]
    for index, step in enumerate(lesson.steps):
        assert not at.exception, at.exception
        at.switch_page(f"pages/{step.page}.py")  # AppTest stays on its page; a browser follows the switch
        assert _banner(at).startswith(f"**Lesson: {lesson.title}** · step {index + 1} of {len(lesson.steps)}")
        assert at.title[0].value == TITLES[step.page]  # the step's page is open
        if step.data is not None:
            assert ws.dataset.content_hash == lesson_dataset(step.data).content_hash
        if step.models:
            assert {m.key for m in ws.model_choices()} == set(step.models)
        if index < len(lesson.steps) - 1:
            at.button(key="lesson.next").click().run()
    assert at.button(key="lesson.next").disabled
    ws.stop_training()
    at.run()
    at.button(key="lesson.end").click().run()
    ws = at.session_state["workspace"]
    assert ws.lesson is None and not any(m.value.startswith("**Lesson: ") for m in at.main.markdown)


def test_a_lesson_written_in_the_editor_is_saved_with_the_project_and_exported_with_it(open_app, tmp_path):
    store = ProjectStore(tmp_path / "home")
    ws = Workspace(recorder=Recorder(store, tracker=None))
    from mlcore.data.generators import GeneratorSpec

    ws.generate(GeneratorSpec())
    at = open_app(PAGE, ws, timeout=120)
    at.session_state["teach_tab"] = "Lessons"
    at.run()
    text = (
        "key: my-lesson\ntitle: Two moons\nsummary: Look, then train.\nsteps:\n"
        "  - {title: Look, page: explore, text: Look at the two moons.}\n"
        "  - {title: Train, page: train, text: Train a tree., models: [decision_tree]}\n"
    )
    at.text_area(key="teach.lesson.text").input(text).run()
    assert any("'Two moons': 2 steps, ready." in shown(s.value) for s in at.success)
    at.button(key="teach.lesson.save").click().run()
    project = ws.project.id
    assert [lesson.key for lesson in store.lessons(project)] == ["my-lesson"]
    imported = import_project(ProjectStore(tmp_path / "class"), export_project(store, project))
    handed = ProjectStore(tmp_path / "class").lessons(imported.id)
    assert handed == [parse_lesson(text)]


def test_a_broken_lesson_is_a_plain_message_in_the_editor(open_app):
    at = open_app(PAGE, Workspace(), timeout=120)
    at.session_state["teach_tab"] = "Lessons"
    at.run()
    at.text_area(key="teach.lesson.text").input(
        "key: x\ntitle: t\nsummary: s\nsteps:\n  - {page: nowhere}\n"
    ).run()
    assert at.error and "Step 1" in shown(at.error[0].value)
    assert not any(b.key == "teach.lesson.save" for b in at.button)
