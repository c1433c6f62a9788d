"""The learners' explanations next to metrics and charts, and the switch that hides them."""

from __future__ import annotations

import streamlit as st

from mlcore.evaluate.glossary import Explanation, explain
from mlcore.workspace import Workspace


def explanations_toggle(ws: Workspace) -> None:
    def flip() -> None:
        ws.show_explanations = st.session_state["explanations_toggle"]

    st.toggle(
        "Explanations for learners",
        value=ws.show_explanations,
        key="explanations_toggle",
        on_change=flip,
        help="Show a short 'what this means and how to read it' under every metric and chart.",
    )


def _text(e: Explanation, title: bool = False) -> str:
    """One markdown block (formula as display LaTeX): one element is cheaper to send than three."""
    parts = [f"**{e.title}**" if title else "", e.text, f"$$\n{e.formula}\n$$" if e.formula else ""]
    return "\n\n".join(p for p in parts if p)


def explanation(ws: Workspace, *keys: str) -> None:
    """An expandable 'what this means' for a chart (or a few closely related ideas), nothing when
    switched off."""
    explained(ws, *(explain(key) for key in keys))


def explained(ws: Workspace, *items: Explanation) -> None:
    """The same expander for explanations written elsewhere (a later stage's own)."""
    if ws.show_explanations:
        title = " · ".join(e.title for e in items)
        with st.expander(f"What this means: {title}", icon=":material/school:"):
            st.markdown("\n\n".join(_text(e, title=len(items) > 1) for e in items))


def metric_explanations(ws: Workspace, keys: list[str]) -> None:
    """One expander explaining every metric of a table, each with its formula."""
    if ws.show_explanations:
        with st.expander("What these scores mean", icon=":material/school:"):
            st.markdown("\n\n".join(_text(explain(key), title=True) for key in keys))
