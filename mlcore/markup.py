"""User strings in Markdown and HTML pages: shown as the text they are, never as links, images or code.

A column named `![x](http://host/pixel.png)` would otherwise make the browser fetch an image from
another machine, `<img onerror=…>` could run in a viewer that allows HTML, and a `|` breaks a table.
HTML pages built by other libraries around the user's data (the profile report, scikit-learn's
pipeline diagram) are shown only in a sandboxed frame that cannot reach the app.
"""

from __future__ import annotations

import html
import re

# Anywhere in a line: emphasis, code, links and images, HTML and autolinks, tables, Streamlit's
# `:material/…:` icons and `:red[…]` colours, KaTeX. At the start: headings, lists, numbered lists.
_SPECIAL = re.compile(r"([\\`*_\[\]<>#!|~$:])")
_LINE_START = re.compile(r"^(\s*)([-+]|\d+[.)])")


def markdown_text(text: object) -> str:
    """`text` backslash-escaped for Markdown (CommonMark, GitHub tables, Streamlit), on one line."""
    escaped = _SPECIAL.sub(r"\\\1", " ".join(str(text).splitlines()))
    return _LINE_START.sub(lambda m: m.group(1) + m.group(2)[:-1] + "\\" + m.group(2)[-1], escaped)


def markdown_code(text: object) -> str:
    """`text` as an inline code span whatever backticks it holds (CommonMark: a longer fence)."""
    text = " ".join(str(text).splitlines())
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * (longest + 1)
    return f"{fence} {text} {fence}" if longest else f"`{text}`"


SANDBOX = "allow-scripts"  # the report's own scripts run; without allow-same-origin they cannot reach the app


def sandboxed_page(report_html: str) -> str:
    """A page that shows an HTML report in a frame of its own (opaque) origin, for the app's iframe.

    Streamlit's iframe shares the app's origin; the report goes one frame deeper, into a `srcdoc`
    frame sandboxed without `allow-same-origin`, so its scripts run but cannot read or change the app.
    """
    return (
        "<!doctype html><html><head><style>html,body{margin:0;height:100%}"
        "iframe{border:0;width:100%;height:100%}</style></head><body>"
        f'<iframe sandbox="{SANDBOX}" title="report" '
        f'srcdoc="{html.escape(report_html, quote=True)}">'
        "</iframe></body></html>"
    )
