"""Projects in Chromium (issue 13): three models trained, the page reloaded, the server stopped and
started again, the project's link opened: the leaderboard, Evaluate and History are all there."""

from __future__ import annotations

import re

import pytest
from browser_helpers import add_option, go_to, load_sample, wait_for_app
from playwright.sync_api import expect

pytestmark = pytest.mark.e2e

MODELS = ["Gaussian naive Bayes", "Decision tree", "Logistic regression"]


def _leaderboard(page):
    return page.get_by_test_id("stDataFrame").filter(has_text="CV accuracy")


def _expect_the_project(page) -> None:
    """The Train page's leaderboard has the three models, and Evaluate compares them."""
    go_to(page, "Train")
    for name in MODELS:
        expect(_leaderboard(page).locator("td[role=gridcell]", has_text=name)).to_have_count(1)
    go_to(page, "Evaluate")
    expect(page.get_by_test_id("stMain").get_by_text("Cross-validation on the training rows")).to_be_visible()


def test_a_project_survives_a_reload_and_a_server_restart(browser, start_app, tmp_path):
    env = {"MLCORE_HOME": str(tmp_path / "home"), "MLCORE_TRACKING": "on"}
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    with start_app(env, "streamlit-projects-1.log") as url:
        page = context.new_page()
        page.goto(url)
        wait_for_app(page)
        load_sample(page, "Palmer penguins")
        go_to(page, "Train")
        models = page.get_by_test_id("stMultiSelect").filter(has_text="Models")
        for name in MODELS:
            add_option(page, models, name)
        page.get_by_role("button", name="Train 3 models").click()
        expect(page.get_by_text("Last training: 3 trained in")).to_be_visible(timeout=120_000)
        link = page.url
        assert re.search(r"[?&]project=[0-9a-f]{12}", link)

        page.reload()
        wait_for_app(page)
        _expect_the_project(page)

        go_to(page, "History")  # every run, tracked in MLflow
        history = page.get_by_test_id("stDataFrame").filter(has_text="started")
        for name in MODELS:
            expect(history.locator("td[role=gridcell]", has_text=name)).to_have_count(1, timeout=60_000)

    with start_app(env, "streamlit-projects-2.log") as url:  # the same home, a new server
        page = context.new_page()
        page.goto(url + link[link.index("/", len("http://")) :])
        wait_for_app(page)
        expect(page.get_by_test_id("stSidebar").get_by_text("Palmer penguins", exact=True)).to_be_visible()
        _expect_the_project(page)
        page.screenshot(path=str(tmp_path / "after-restart.png"))
    context.close()
