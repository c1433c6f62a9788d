"""Explore in Chromium: alerts and charts at once, and the full report built while the user is elsewhere."""

from __future__ import annotations

import pytest
from browser_helpers import go_to, load_sample, wait_for_app
from playwright.sync_api import expect

REPORT_TIMEOUT = 120_000  # ms: ydata-profiling in a fresh worker process on a busy two-core machine
DRAW_TIMEOUT = 30_000  # ms: charts are drawn by the browser after the script has finished


@pytest.mark.e2e
def test_explore_penguins_and_build_the_full_report_in_the_background(page):
    load_sample(page, "Palmer penguins")

    go_to(page, "Explore")
    main = page.get_by_test_id("stMain")
    expect(main.get_by_text("Missing values in 5 columns", exact=False)).to_be_visible(timeout=DRAW_TIMEOUT)
    chart = main.get_by_test_id("stPlotlyChart").first.locator(".main-svg").first
    expect(chart).to_be_visible(timeout=DRAW_TIMEOUT)

    page.get_by_role("tab", name="Full report").click()
    wait_for_app(page)
    columns = main.get_by_label("Use the minimal preset above this many columns")
    columns.fill("0")  # the minimal preset keeps the test short; the flow is the same
    columns.press("Enter")
    wait_for_app(page)
    expect(main.get_by_text("with the minimal preset", exact=False)).to_be_visible(timeout=DRAW_TIMEOUT)
    main.get_by_role("button", name="Build the full report").click()
    expect(main.get_by_text("Building the report", exact=False)).to_be_visible(timeout=DRAW_TIMEOUT)

    go_to(page, "Data")  # the report keeps running in its worker process meanwhile
    expect(main.get_by_role("heading", name="Palmer penguins")).to_be_visible(timeout=DRAW_TIMEOUT)

    go_to(page, "Explore")  # back on the tab that was open
    expect(main.get_by_text("Report ready", exact=False)).to_be_visible(timeout=REPORT_TIMEOUT)
    expect(main.get_by_role("button", name="Download the report (HTML)")).to_be_visible()
    # The report sits in a sandboxed frame inside the page's frame, out of the app's reach.
    outer = page.frame_locator('iframe[title="ydata-profiling report"]')
    report = outer.frame_locator('iframe[sandbox="allow-scripts"]')
    expect(report.get_by_role("heading", name="Overview")).to_be_visible(timeout=DRAW_TIMEOUT)
