"""Issue 11, item 8, in Chromium: the app makes no request outside this machine (fonts, icons, telemetry)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import urlsplit

import pytest
from browser_helpers import go_to, load_sample, wait_for_app
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.e2e

LOCAL_SCHEMES = {"data", "blob", "about", "chrome-extension"}


@contextmanager
def recorded(browser, app_url: str) -> Iterator[tuple[Page, list[str]]]:
    """A fresh tab on the app, and every URL the browser requests while it is open."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    requested: list[str] = []
    context.on("request", lambda request: requested.append(request.url))
    try:
        tab = context.new_page()
        tab.goto(app_url)
        wait_for_app(tab)
        yield tab, requested
        tab.wait_for_timeout(1_000)  # late requests: favicon, fonts, images
    finally:
        context.close()


def test_the_browser_requests_nothing_outside_this_machine(browser, app_url):
    with recorded(browser, app_url) as (tab, requested):
        load_sample(tab, "Iris flowers")
        for page in ("Explore", "Prepare", "Train", "Predict"):
            go_to(tab, page)
    outside = [
        url
        for url in requested
        if urlsplit(url).scheme not in LOCAL_SCHEMES
        and urlsplit(url).hostname not in ("127.0.0.1", "localhost")
    ]
    assert requested and not outside


# Column names and a file name that Markdown would turn into images fetched from another machine.
TRACKER = "198.51.100.7"  # TEST-NET-2: never a real host
HOSTILE = [f"![pixel](http://{TRACKER}/a.png)", f"<img src=http://{TRACKER}/b.png>", "label"]


def test_hostile_column_names_request_nothing_and_show_as_text(browser, app_url, tmp_path):
    path = tmp_path / f"![x](http---{TRACKER}-c.png).csv"
    rows = [",".join(f'"{name}"' for name in HOSTILE)]
    rows += [f"{i % 7},{(i * 3) % 5},{'yes' if i % 2 else 'no'}" for i in range(60)]
    path.write_text("\n".join(rows) + "\n")
    with recorded(browser, app_url) as (tab, requested):
        tab.get_by_test_id("stFileUploaderDropzoneInput").set_input_files(str(path))
        wait_for_app(tab)
        main = tab.get_by_test_id("stMain")
        expect(main.get_by_role("heading", name=path.name)).to_be_visible()  # the name, as text
        for page in ("Explore", "Prepare", "Train", "Data"):
            go_to(tab, page)
        assert tab.locator(f'img[src*="{TRACKER}"]').count() == 0
    assert not [url for url in requested if TRACKER in url]
