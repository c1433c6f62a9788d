"""How problems reach the user: a plain message and a hint, never a traceback."""

from __future__ import annotations

import streamlit as st

from mlcore.errors import MLCoreError


def show_problem(problem: MLCoreError | None) -> None:
    if problem is None:
        return
    st.error(
        f"**{problem.message}**\n\n{problem.hint}" if problem.hint else problem.message,
        icon=":material/warning:",
    )
