"""Issue 11, item 2: markup in a column name or cell never becomes markup in the profile report."""

from __future__ import annotations

import html
from html.parser import HTMLParser

import numpy as np
import pandas as pd
import pytest

from mlcore.explore.profile_report import build_report_html, escape_markup
from mlcore.markup import SANDBOX, sandboxed_page

HOSTILE_NAME = "<script>window.stolen = 1</script>"
BREAKOUT_NAMES = [  # each tries to leave the context ydata-profiling writes names into
    "</script><script>window.stolen = 2</script>",
    "</title><script>window.stolen = 3</script>",
    '" onmouseover="window.stolen = 4',
]
HOSTILE_CELLS = ["<img src=x onerror=alert(2)>", "x onmouseover=alert(4)", 'q" onclick="alert(3)', "R&D"]


class _Markup(HTMLParser):
    """Every element and attribute a browser would build from the page."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.scripts: list[str] = []
        self.text: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        self._in_script = tag == "script"

    def handle_endtag(self, tag):
        self._in_script = False

    def handle_data(self, data):
        (self.scripts if self._in_script else self.text).append(data)


def _hostile_frame(extra_names: tuple[str, ...] = ()) -> pd.DataFrame:
    rng = np.random.default_rng(0)
    frame = pd.DataFrame(
        {
            HOSTILE_NAME: rng.integers(0, 3, 60),
            "b": rng.choice(HOSTILE_CELLS, 60),
            "c": pd.Categorical(rng.choice(HOSTILE_CELLS, 60)),
        }
    )
    for i, name in enumerate(extra_names):
        frame[name] = rng.normal(size=60) + i
    return frame


@pytest.mark.parametrize("minimal", [True, False])
def test_script_in_a_column_name_cell_or_file_name_is_not_markup_in_the_profile_report(minimal):
    frame = _hostile_frame(tuple(BREAKOUT_NAMES))
    page = build_report_html(
        lambda event: None, frame, "</title><script>window.stolen = 5</script>.csv", minimal
    )
    markup = _Markup()
    markup.feed(page)
    assert not [s for s in markup.scripts if "window.stolen" in s]
    handlers = [(tag, k, v) for tag, attrs in markup.tags for k, v in attrs.items() if k.startswith("on")]
    assert not handlers
    assert not [attrs for tag, attrs in markup.tags if tag == "img" and attrs.get("src") == "x"]
    shown = "\n".join(markup.text)
    assert HOSTILE_NAME in shown or html.escape(HOSTILE_NAME) in shown  # the name is there, as text


def test_escape_markup_escapes_names_text_and_categories_only():
    frame = _hostile_frame().assign(n=np.arange(60.0))
    escaped = escape_markup(frame)
    assert list(escaped.columns) == [html.escape(HOSTILE_NAME), "b", "c", "n"]
    assert list(escaped["b"]) == [html.escape(v) for v in frame["b"]]
    assert sorted(escaped["c"].cat.categories) == sorted(html.escape(v) for v in frame["c"].cat.categories)
    assert escaped["n"].equals(frame["n"]) and frame.columns[0] == HOSTILE_NAME  # input left as it was


def test_report_page_is_framed_without_the_apps_origin():
    report = "<html><body><script>parent.document.title = 'pwned'</script>\"quotes\" & more</body></html>"
    markup = _Markup()
    markup.feed(sandboxed_page(report))
    frames = [attrs for tag, attrs in markup.tags if tag == "iframe"]
    assert len(frames) == 1 and frames[0]["sandbox"] == SANDBOX == "allow-scripts"
    assert frames[0]["srcdoc"] == report  # the whole report, unchanged, inside the sandboxed frame
    assert not markup.scripts  # the outer page runs nothing of the report
