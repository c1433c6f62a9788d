"""Discover in Chromium (issue 16): load a sample, find clusters, read their description, add the
labels as a column, and train a classifier that uses it."""

from __future__ import annotations

import re

import pytest
from browser_helpers import add_option, go_to, load_sample, wait_for_app
from playwright.sync_api import expect

pytestmark = pytest.mark.e2e
PAGES = [
    *("Data", "Projects", "Explore", "Discover", "Prepare", "Train", "Evaluate", "History"),
    *("Explain", "Predict", "Export", "Deploy", "Monitor", "Teach"),
]


def test_find_describe_add_as_a_column_and_train_with_it(page, tmp_path):
    load_sample(page, "Iris flowers")
    go_to(page, "Discover")
    main = page.get_by_test_id("stMain")
    expect(main.get_by_text("Uses 4 feature columns of 'Iris flowers'")).to_be_visible()
    page.get_by_role("button", name="Find clusters").click()
    expect(main.get_by_role("heading", name="What each cluster is")).to_be_visible(timeout=60_000)
    expect(main.get_by_text(re.compile(r"^cluster 0 \(\d+% of rows\): "))).to_be_visible()
    expect(main.get_by_text("Adjusted Rand index", exact=False)).to_be_visible()  # against the species
    page.screenshot(path=str(tmp_path / "clusters.png"), full_page=True)

    page.get_by_role("tab", name="Use the result").click()
    wait_for_app(page)
    page.get_by_role("button", name="Add the clusters as a column").click()
    wait_for_app(page)
    expect(main.get_by_text("Added the column 'cluster'")).to_be_visible()
    expect(page.get_by_test_id("stSidebar").get_by_text("Iris flowers + cluster")).to_be_visible()

    go_to(page, "Train")
    add_option(page, page.get_by_test_id("stMultiSelect").filter(has_text="Models"), "Decision tree")
    page.get_by_role("button", name="Train 1 model").click()
    expect(main.get_by_text("Last training: 1 trained in")).to_be_visible(timeout=90_000)
    go_to(page, "Explain")
    expect(main.get_by_text("cluster", exact=True).first).to_be_visible(timeout=60_000)  # a feature it used
    page.screenshot(path=str(tmp_path / "explain.png"), full_page=True)


def test_every_page_is_in_the_sidebar_with_none_behind_view_more(page):
    """Regression: with Discover the navigation had 13 pages, and Streamlit folded the last three
    (Export, Deploy, Monitor) behind a 'View 3 more' button."""
    nav = page.get_by_test_id("stSidebarNav")
    for title in PAGES:
        expect(nav.get_by_role("link", name=title, exact=True)).to_be_visible()
    expect(nav.get_by_text(re.compile(r"^View \d+ more$"))).to_have_count(0)
