"""Teach in Chromium (issue 17): paint two classes, use them as the dataset, train two models, and see
their two boundaries side by side."""

from __future__ import annotations

import re

import pytest
from browser_helpers import add_option, go_to, wait_for_app
from playwright.sync_api import expect

pytestmark = pytest.mark.e2e
LEFT = [(0.15, 0.3), (0.2, 0.5), (0.1, 0.7), (0.3, 0.4), (0.25, 0.2), (0.35, 0.6)]
RIGHT = [(1 - x, y) for x, y in LEFT]


PER_CLICK = 10  # enough rows for a holdout and five folds


def _paint(page, where: list[tuple[float, float]]) -> None:
    """Click each (fraction across, fraction down) of the plane, waiting for each stroke to be drawn."""
    main = page.get_by_test_id("stMain")
    for fx, fy in where:
        count = int(main.get_by_text(re.compile(r"^\d+ points\.")).inner_text().split()[0])
        area = main.get_by_test_id("stPlotlyChart").first.locator(".nsewdrag").first.bounding_box()
        page.mouse.click(area["x"] + fx * area["width"], area["y"] + fy * area["height"])
        expect(main.get_by_text(re.compile(rf"^{count + PER_CLICK} points\."))).to_be_visible(timeout=15_000)
        wait_for_app(page)


def test_paint_two_classes_train_two_models_and_see_two_boundaries(page, tmp_path):
    go_to(page, "Teach")
    main = page.get_by_test_id("stMain")
    expect(main.get_by_text(re.compile(r"^0 points\."))).to_be_visible()
    per_click = page.get_by_role("spinbutton", name=re.compile("Points per click"))
    per_click.fill(str(PER_CLICK))
    per_click.press("Enter")
    wait_for_app(page)
    _paint(page, LEFT)
    main.get_by_text("B", exact=True).click()
    wait_for_app(page)
    _paint(page, RIGHT)
    page.screenshot(path=str(tmp_path / "painted.png"), full_page=True)
    page.get_by_role("button", name="Use as the dataset").click()
    expect(page.get_by_test_id("stSidebar").get_by_text("painted (120 rows)")).to_be_visible()

    go_to(page, "Train")
    models = page.get_by_test_id("stMultiSelect").filter(has_text="Models")
    for name in ("Logistic regression", "k-nearest neighbours"):
        add_option(page, models, name)
    page.get_by_role("button", name="Train 2 models").click()
    expect(main.get_by_text("Last training: 2 trained in")).to_be_visible(timeout=90_000)

    go_to(page, "Teach")
    page.get_by_role("tab", name="Decision boundaries").click()
    wait_for_app(page)
    chart = main.get_by_test_id("stPlotlyChart").first
    for title in ("Logistic regression", "k-nearest neighbours"):
        expect(chart.get_by_text(title, exact=True)).to_be_visible(timeout=30_000)
    page.screenshot(path=str(tmp_path / "boundaries.png"), full_page=True)


def test_follow_a_lesson_to_its_last_step(page):
    go_to(page, "Teach")
    main = page.get_by_test_id("stMain")
    page.get_by_role("tab", name="Lessons").click()
    wait_for_app(page)
    row = main.get_by_test_id("stHorizontalBlock").filter(has_text="What k-means can and cannot find")
    row.get_by_role("button", name="Start").click()
    wait_for_app(page)
    expect(main.get_by_text(re.compile(r"step 1 of 3"))).to_be_visible(timeout=30_000)
    expect(main.get_by_role("heading", name="Discover", exact=True)).to_be_visible()  # the step's page
    for step in (2, 3):
        main.get_by_role("button", name="Next step").click()
        wait_for_app(page)
        expect(main.get_by_text(re.compile(rf"step {step} of 3"))).to_be_visible(timeout=30_000)
    expect(main.get_by_role("heading", name="Teach", exact=True)).to_be_visible()
    expect(main.get_by_role("button", name="Next step")).to_be_disabled()
    main.get_by_role("button", name="End the lesson").click()
    wait_for_app(page)
    expect(main.get_by_text(re.compile(r"step \d of 3"))).to_have_count(0)
