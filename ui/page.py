"""What several pages share, written once: tabs that stay open across page switches and run only the
tab that is open."""

from __future__ import annotations

from collections.abc import Callable, Mapping

import streamlit as st


def remembered_tabs(page: str, sections: Mapping[str, Callable[[], None]]) -> None:
    """Draw `sections` as tabs keyed `<page>_tab`, drawing only the open one (hidden tabs cost nothing),
    and reopen the tab last open on this page: a page's widget state is dropped when it is left, so
    the choice is kept under `<page>_last_tab`."""
    key, last_key = f"{page}_tab", f"{page}_last_tab"

    def remember() -> None:
        st.session_state[last_key] = st.session_state[key]

    last = st.session_state.get(last_key)
    tabs = st.tabs(list(sections), key=key, on_change=remember, default=last if last in sections else None)
    for tab, draw in zip(tabs, sections.values(), strict=True):
        if tab.open is not False:
            with tab:
                draw()
