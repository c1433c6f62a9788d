"""A lesson followed step by step: above every page, the step's instruction with Back and Next, which
prepare the next step's state and open its page; and the presentation switch for a class."""

from __future__ import annotations

import streamlit as st

from mlcore.markup import markdown_text
from mlcore.workspace import Workspace
from ui.feedback import show_problem

PRESENTING = "presentation_mode"
# Larger text for the back of the room; the toolbar, the chart buttons and the page's own captions
# (the explanations a demonstration gives aloud) out of the way.
PRESENTATION_CSS = """
<style>
html { font-size: 125%; }
[data-testid="stToolbar"], .modebar-container { display: none !important; }
[data-testid="stMain"] [data-testid="stCaptionContainer"] { display: none; }
</style>
"""


def lesson_banner(ws: Workspace) -> None:
    """The lesson's current step, if a lesson is being followed: what to do, and where to go next."""
    lesson = ws.lesson
    if lesson is None:
        return
    index = ws.lesson_step
    step = lesson.steps[index]
    with st.container(border=True):
        st.markdown(
            f"**Lesson: {markdown_text(lesson.title)}** · step {index + 1} of {len(lesson.steps)}: "
            f"{markdown_text(step.title)}"
        )
        st.markdown(step.text)  # the teacher's Markdown, as written
        back, forward, end = st.columns([1.4, 1.4, 3])
        if back.button("Previous step", icon=":material/arrow_back:", disabled=index == 0, key="lesson.back"):
            _go(ws, index - 1)
        last = index == len(lesson.steps) - 1
        if forward.button(
            "Next step", icon=":material/arrow_forward:", type="primary", disabled=last, key="lesson.next"
        ):
            _go(ws, index + 1)
        if end.button("End the lesson", key="lesson.end"):
            ws.end_lesson()
            st.rerun()
        if last:
            st.caption("The last step: end the lesson when the class is done.")
        show_problem(ws.problem if st.session_state.pop("lesson.refused", False) else None)


def open_step(ws: Workspace) -> None:
    """Open the page and tab of the lesson's current step."""
    step = ws.lesson.steps[ws.lesson_step]
    if step.tab:
        st.session_state[f"{step.page}_last_tab"] = step.tab  # `ui.page.remembered_tabs` opens it
    st.switch_page(f"pages/{step.page}.py")


def _go(ws: Workspace, index: int) -> None:
    if ws.go_to_step(index):
        open_step(ws)
    st.session_state["lesson.refused"] = True
    st.rerun()


def presentation_switch() -> None:
    """A sidebar switch that enlarges the text and hides what a demonstration does not need."""
    with st.sidebar:
        if st.toggle("Presentation mode", key=PRESENTING, help="Larger text; toolbars and captions hidden."):
            st.html(PRESENTATION_CSS)
