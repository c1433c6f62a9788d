"""Evaluate in Chromium: train two models, wait for them on the Evaluate page, compare them side by side,
move the threshold slider and see the confusion matrix change."""

from __future__ import annotations

import re

import pytest
from browser_helpers import add_option, go_to, load_sample, open_tab, wait_for_app
from playwright.sync_api import expect

TRAIN_TIMEOUT = 240_000  # ms: two models with 5-fold CV in worker processes on a busy two-core machine


def _chart_text(chart) -> str:
    return " ".join(chart.locator("svg text").all_text_contents())


@pytest.mark.e2e
def test_compare_two_models_and_move_the_threshold(page):
    load_sample(page, "Breast cancer (Wisconsin)")

    go_to(page, "Train")
    for name in ("Logistic regression", "Decision tree"):
        add_option(page, page.get_by_test_id("stMultiSelect").filter(has_text="Models"), name)
    train = page.get_by_role("button", name="Train 2 models")
    train.click()
    expect(train).to_be_disabled()  # while the models train in their worker processes
    main = page.get_by_test_id("stMain")

    go_to(page, "Evaluate")  # before training ends: the page fills in by itself when the models finish
    picker = main.get_by_test_id("stMultiSelect").filter(has_text="Models to compare")
    expect(picker.get_by_text("Logistic regression")).to_be_visible(timeout=TRAIN_TIMEOUT)
    expect(picker.get_by_text("Decision tree")).to_be_visible(timeout=TRAIN_TIMEOUT)
    wait_for_app(page)
    expect(main.get_by_role("heading", name="Holdout: rows kept aside and scored once")).to_be_visible()
    holdout = main.get_by_test_id("stDataFrame").nth(1)
    expect(holdout).to_be_visible()

    def chart(panel):
        return panel.get_by_test_id("stPlotlyChart").first

    open_tab(page, "Confusion matrices", chart)
    # The tab's own panel: the Scores tab's chart can linger for a moment while the page reruns.
    grid = main.get_by_role("tabpanel", name="Confusion matrices").get_by_test_id("stPlotlyChart")
    expect(grid).to_have_count(1)  # one figure: a matrix per model, side by side
    expect(grid).to_contain_text("Logistic regression")
    expect(grid).to_contain_text("Decision tree")
    expect(grid).to_contain_text("malignant")  # labelled with the original class names

    open_tab(page, "Threshold", chart)
    matrix = chart(main.get_by_role("tabpanel", name="Threshold"))
    expect(matrix).to_contain_text("At threshold 0.500")
    before = _chart_text(matrix)
    slider = main.get_by_test_id("stSlider").locator('input[type="range"]')
    slider.focus()
    page.keyboard.press("Home")  # all the way down: every row with any chance is called malignant
    wait_for_app(page)
    expect(matrix).to_contain_text("At threshold 0.000")
    after = _chart_text(matrix)
    assert re.sub(r"At threshold \S+", "", before) != re.sub(r"At threshold \S+", "", after)
    expect(main.get_by_text("at 0.000", exact=False)).to_be_visible()  # the scores next to the default's

    main.get_by_role("button", name="Use the best threshold").click()
    wait_for_app(page)
    expect(matrix).not_to_contain_text("At threshold 0.000")
