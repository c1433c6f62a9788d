"""How problems reach the user: a plain message and a hint, never a traceback."""

from __future__ import annotations

import streamlit as st

from mlcore.errors import MLCoreError
from mlcore.markup import markdown_text


def show_problem(problem: MLCoreError | None) -> None:
    if problem is None:
        return
    message, hint = markdown_text(problem.message), markdown_text(problem.hint)  # names in them are text
    st.error(f"**{message}**\n\n{hint}" if hint else message, icon=":material/warning:")
