"""A new user in Chromium: sample data, preprocessing, three models trained in the background while
they visit another page, a complete leaderboard on return, and Stop on a slow run keeping the rest."""

from __future__ import annotations

import re

import pytest
from browser_helpers import add_option, choose_option, go_to, load_sample, wait_for_app
from playwright.sync_api import expect

pytestmark = pytest.mark.e2e

OK = re.compile("^ok$")
MODELS = ["Gaussian naive Bayes", "Decision tree", "Random forest"]


def _cells(page, text: str | re.Pattern):
    """Leaderboard cells (the grid keeps an accessible copy of its visible cells in the page)."""
    board = page.get_by_test_id("stDataFrame").filter(has_text="CV accuracy")
    return board.locator("td[role=gridcell]", has_text=text)


def test_prepare_train_switch_pages_and_stop(page):
    load_sample(page, "Handwritten digits")

    go_to(page, "Prepare")
    main = page.get_by_test_id("stMain")
    choose_option(page, page.get_by_test_id("stSelectbox").filter(has_text="Scale"), "min-max (0 to 1)")
    expect(main.get_by_text(re.compile(r"^Numbers \(64\):.*min-max"))).to_be_visible()  # the summary
    expect(main.get_by_text("fitted on the training rows of each cross-validation fold only")).to_be_visible()
    choose_option(
        page, page.get_by_test_id("stSelectbox").filter(has_text="Cross-validation folds"), "3 folds"
    )
    expect(main.get_by_text("3-fold stratified cross-validation on the other 1,437 rows")).to_be_visible()

    go_to(page, "Train")
    models = page.get_by_test_id("stMultiSelect").filter(has_text="Models")
    for name in MODELS:
        add_option(page, models, name)
    page.get_by_role("button", name="Train 3 models").click()
    expect(main.get_by_text("Training:")).to_be_visible(timeout=60_000)

    go_to(page, "Data")  # training goes on in the background
    expect(main.get_by_role("heading", name="Handwritten digits")).to_be_visible()
    go_to(page, "Train")
    expect(main.get_by_text("Last training: 3 trained in")).to_be_visible(timeout=60_000)
    for name in MODELS:
        expect(_cells(page, name)).to_have_count(1)
    expect(_cells(page, OK)).to_have_count(3)

    # A slow version of the forest, stopped once the two quick models are done.
    page.get_by_test_id("stExpander").filter(has_text="Random forest").first.click()
    trees = page.get_by_role("spinbutton", name="Number of trees")
    trees.fill("1000")
    trees.press("Enter")
    wait_for_app(page)
    page.get_by_role("button", name="Train 3 models").click()
    expect(main.get_by_text("Training: 2 of 3 models finished")).to_be_visible(timeout=60_000)
    page.get_by_role("button", name="Stop training").click()
    expect(main.get_by_text("Last training: 2 trained, 1 stopped in")).to_be_visible()
    slow = page.get_by_test_id("stDataFrame").locator("tr", has_text="Random forest (n_estimators=1000)")
    expect(slow).to_have_count(1)
    expect(slow).to_contain_text("stopped")
    expect(_cells(page, OK)).to_have_count(3)  # the first three runs; the quick two re-ran in place
    expect(
        main.get_by_text("2 model(s) were trained again with the same data, settings and seed")
    ).to_be_visible()
