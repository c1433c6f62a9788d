"""Make `AppTest` rerun a navigation app the way the Streamlit server does.

An app with a `pages/` folder starts in Streamlit's legacy multipage mode until its first
`st.navigation` call turns that mode off for good. The server keeps it off, so every later rerun runs
`app.py` (navigation, sidebar) and then the page. AppTest turns the legacy mode back on before each
run, so its reruns of a page skip `app.py`: the sidebar vanishes from the tree and timings leave out
the app's shell. With this patch, tests see and benchmarks time what a browser gets.
"""

from __future__ import annotations

import base64
import re

import numpy as np
import streamlit.testing.v1.app_test as app_test
from streamlit.runtime.pages_manager import PagesManager


class _ServerLikePagesManager(PagesManager):
    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        PagesManager.uses_pages_directory = False  # what the app's first `st.navigation` call does


def rerun_like_the_server() -> None:
    app_test.PagesManager = _ServerLikePagesManager


def shown(markdown: str) -> str:
    """What a reader sees of an element's Markdown: the text without its backslash escapes (names from
    the data are escaped so they read as text, never as links or formatting)."""
    return re.sub(r"\\(.)", r"\1", markdown)


def page_text(at) -> str:
    """Every message, caption and Markdown text the page shows, as a reader sees it."""
    kinds = ("markdown", "caption", "error", "success", "warning", "info")
    return "\n".join(shown(e.value) for kind in kinds for e in at.get(kind))


def plotly_array(value) -> np.ndarray:
    """A plotly array from the figure JSON: a plain list, or a typed array (base64 with dtype and shape)."""
    if isinstance(value, dict):
        shape = [int(n) for n in str(value.get("shape", "-1")).split(",")]
        return np.frombuffer(base64.b64decode(value["bdata"]), dtype=value["dtype"]).reshape(shape)
    return np.asarray(value)
