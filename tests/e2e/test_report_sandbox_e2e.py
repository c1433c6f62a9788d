"""Issue 11, item 2, in Chromium: a script inside the shown report cannot reach the app's page."""

from __future__ import annotations

import html
import http.server
import threading

import pytest

from mlcore.markup import sandboxed_page

pytestmark = pytest.mark.e2e

# What Streamlit's st.iframe gives an HTML string: a srcdoc frame sharing the app's origin.
STREAMLIT_SANDBOX = (
    "allow-forms allow-modals allow-popups allow-popups-to-escape-sandbox allow-same-origin allow-scripts "
    "allow-downloads"
)
# The report's script tries the app's page two frames up, and marks its own page when it has run.
REPORT = (
    "<html><head><title>report</title></head><body><script>"
    "document.title = 'ran';"
    "try { window.top.document.title = 'pwned'; } catch (e) { document.title = 'ran, blocked'; }"
    "</script></body></html>"
)


def _serve(body: str) -> tuple[http.server.ThreadingHTTPServer, str]:
    class Page(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            data = body.encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Page)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}/"


def _app_page_title(browser, framed: str) -> tuple[str, list[str]]:
    app = (
        "<html><head><title>app</title></head><body>"
        f'<iframe sandbox="{STREAMLIT_SANDBOX}" srcdoc="{html.escape(framed, quote=True)}"></iframe>'
        "</body></html>"
    )
    server, url = _serve(app)
    context = browser.new_context()
    try:
        tab = context.new_page()
        tab.goto(url)
        tab.wait_for_function("() => document.title === 'pwned' || document.title === 'app'", timeout=10_000)
        report_frames = [f for f in tab.frames if f != tab.main_frame]
        for frame in report_frames:
            frame.wait_for_load_state()
        tab.wait_for_timeout(500)  # let the report's script finish (no event to wait on across origins)
        return tab.title(), [f.title() for f in report_frames]
    finally:
        context.close()
        server.shutdown()


def test_a_script_in_the_report_cannot_reach_the_app(browser):
    title, frames = _app_page_title(browser, sandboxed_page(REPORT))
    assert title == "app"
    assert "ran, blocked" in frames  # the report's own script ran, and was kept out of the app


def test_the_report_unsandboxed_would_reach_the_app(browser):
    """The control: the same report given to st.iframe as it was does change the app's page."""
    title, _ = _app_page_title(browser, REPORT)
    assert title == "pwned"
