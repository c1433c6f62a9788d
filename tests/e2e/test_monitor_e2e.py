"""Monitor in Chromium (issue 15): upload a shifted batch of a registered model's data, read the verdict,
retrain on the new rows, register the new version and make it the champion."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest
from browser_helpers import go_to, wait_for_app
from playwright.sync_api import expect

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "unit"))
from monitor_helpers import NAME, register_toy, rows

from mlcore.monitor.subject import watched

pytestmark = pytest.mark.e2e


def test_upload_a_shifted_batch_read_the_verdict_retrain_and_register(browser, start_app, tmp_path):
    home = tmp_path / "home"
    project = register_toy(home).store.list()[0].id
    batch = tmp_path / "june.csv"
    rows(400, 41, drifted=True).to_csv(batch, index=False)
    context = browser.new_context(viewport={"width": 1400, "height": 1600})
    with start_app({"MLCORE_HOME": str(home), "MLCORE_TRACKING": "on"}, "streamlit-monitor.log") as url:
        page = context.new_page()
        page.goto(f"{url}/?project={project}")
        wait_for_app(page)
        go_to(page, "Monitor")
        page.get_by_test_id("stFileUploaderDropzoneInput").set_input_files(str(batch))
        wait_for_app(page)
        page.get_by_role("button", name="Check this batch").click()
        main = page.get_by_test_id("stMain")
        expect(main.get_by_text(re.compile(r"\d of 3 features drifted"))).to_be_visible(timeout=60_000)
        expect(main.get_by_text(re.compile("worse beyond noise")).first).to_be_visible()
        expect(main.get_by_text("x1: training rows and new rows")).to_be_visible()  # the chart of what moved
        page.screenshot(path=str(tmp_path / "verdict.png"))

        page.get_by_role("button", name="Retrain on the new rows").click()
        expect(main.get_by_text(re.compile("the retrained model does better"))).to_be_visible(timeout=120_000)
        expect(main.get_by_text(re.compile(rf"Registered as {NAME} version 2"))).to_be_visible()
        page.get_by_role("button", name="Make version 2 the champion").click()
        expect(main.get_by_text(re.compile("Version 2 is now the champion"))).to_be_visible()
    context.close()
    assert watched(f"{NAME}@champion", home).version == "2"
