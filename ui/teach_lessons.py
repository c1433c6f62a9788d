"""Lessons on the Teach page: start a built-in lesson or one of the project's, and write your own in
YAML (checked as you go), then save it with the project to hand out, or download it."""

from __future__ import annotations

import streamlit as st

from mlcore.errors import MLCoreError
from mlcore.markup import markdown_text
from mlcore.teach.lessons import MAX_LESSON_BYTES, Lesson, built_in, lesson_text, parse_lesson
from mlcore.workspace import Workspace
from ui.feedback import show_problem
from ui.lesson_player import open_step

EDITOR = "teach.lesson.text"


def lessons_tab(ws: Workspace) -> None:
    st.caption(
        "A lesson is a few steps, each a page in a prepared state (a dataset, trained models) with an "
        "instruction or a question. Students follow it with Next and Back above every page."
    )
    own = ws.recorder.store.lessons(ws.project.id) if ws.recorder and ws.project else []
    for lesson in [*built_in(), *own]:
        left, right = st.columns([5, 1])
        mine = " (this project's)" if lesson in own else ""
        left.markdown(
            f"**{markdown_text(lesson.title)}**{mine} · {len(lesson.steps)} steps  \n"
            f"{markdown_text(lesson.summary)}"
        )
        if right.button(
            "Start", key=f"lesson.start.{lesson.key}{mine and '.own'}", icon=":material/play_arrow:"
        ):
            _start(ws, lesson)
    st.subheader("Write a lesson")
    _editor(ws, own)


def _editor(ws: Workspace, own: list[Lesson]) -> None:
    lessons = {lesson.key: lesson for lesson in [*built_in(), *own]}
    base = st.selectbox(
        "Start from", list(lessons), format_func=lambda k: lessons[k].title, key="teach.lesson.base"
    )
    if st.session_state.get("teach.lesson.loaded") != base:  # a new starting point fills the editor
        st.session_state[EDITOR] = lesson_text(lessons[base])
        st.session_state["teach.lesson.loaded"] = base
    text = st.text_area(
        "The lesson, in YAML: a key, a title, a summary, and steps with a title, a page, its text, and "
        "optionally a tab, data to load and models to train",
        height=360,
        max_chars=MAX_LESSON_BYTES,
        key=EDITOR,
    )
    try:
        lesson = parse_lesson(text)
    except MLCoreError as exc:
        show_problem(exc)
        return
    st.success(f"'{markdown_text(lesson.title)}': {len(lesson.steps)} steps, ready.", icon=":material/check:")
    start, save, download = st.columns(3)
    if start.button("Start this lesson", key="teach.lesson.try"):
        _start(ws, lesson)
    if save.button(
        "Save in the project",
        disabled=ws.project is None or ws.recorder is None,
        help="Kept with the project and in its exported file: a class that imports the project has it.",
        key="teach.lesson.save",
    ):
        try:
            ws.recorder.store.save_lesson(ws.project.id, lesson)
        except MLCoreError as exc:
            show_problem(exc)
        else:
            st.success(f"Saved in the project '{markdown_text(ws.project.name)}'.")
    download.download_button(
        "Download (.yaml)",
        data=lesson_text(lesson),
        file_name=f"{lesson.key}.yaml",
        mime="application/x-yaml",
        on_click="ignore",
        key="teach.lesson.download",
    )


def _start(ws: Workspace, lesson: Lesson) -> None:
    if ws.start_lesson(lesson):
        open_step(ws)
    show_problem(ws.problem)
