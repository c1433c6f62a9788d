"""Deploy in Chromium (issue 14): a trained run served from the Deploy page, the page's curl example
run in a shell answers what the Predict page's code answers for that row, the server survives a
reload, and Stop frees its port."""

from __future__ import annotations

import json
import re
import socket
import subprocess
from pathlib import Path

import pandas as pd
import pytest
from browser_helpers import add_option, go_to, load_sample, wait_for_app
from playwright.sync_api import expect

from mlcore.deploy.predict import predict_frame, predictor_from_run
from mlcore.serve.servers import list_servers, stop_server
from mlcore.track.projects import ProjectStore

pytestmark = pytest.mark.e2e


def _port_free(port: int) -> bool:
    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


@pytest.fixture
def home(tmp_path):
    """The test's workbench home; a server the test left running (it failed before Stop) is stopped."""
    yield tmp_path / "home"
    for record in list_servers(tmp_path / "home"):
        stop_server(tmp_path / "home", record.id)


def test_serve_from_the_deploy_page_run_its_curl_example_and_stop(browser, start_app, home, tmp_path):
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    with start_app({"MLCORE_HOME": str(home), "MLCORE_TRACKING": "off"}, "streamlit-deploy.log") as url:
        page = context.new_page()
        page.goto(url)
        wait_for_app(page)
        load_sample(page, "Palmer penguins")
        go_to(page, "Train")
        add_option(
            page, page.get_by_test_id("stMultiSelect").filter(has_text="Models"), "Logistic regression"
        )
        page.get_by_role("button", name="Train 1 model").click()
        expect(page.get_by_text("Last training: 1 trained in")).to_be_visible(timeout=120_000)

        go_to(page, "Deploy")
        main = page.get_by_test_id("stMain")
        page.get_by_role("button", name="Serve").click()
        expect(main.get_by_text("running", exact=True)).to_be_visible(timeout=90_000)
        page.screenshot(path=str(Path(tmp_path) / "deploy.png"))

        page.reload()  # the server outlives the page
        wait_for_app(page)
        expect(main.get_by_text("running", exact=True)).to_be_visible(timeout=30_000)
        main.get_by_text("Call it: example requests").click()
        curl = main.get_by_test_id("stCode").filter(has_text="curl -s").first
        command = curl.inner_text()
        answer = json.loads(
            subprocess.run(["bash", "-c", command], capture_output=True, text=True, timeout=60).stdout
        )
        port = int(re.search(r"127\.0\.0\.1:(\d+)", command).group(1))

        store = ProjectStore(home)
        info = store.list()[0]
        state = store.load(info.id)
        run = state.runs[0]
        row = json.loads(re.search(r"-d '(.*)'\s*$", command, re.S).group(1))["records"][0]
        expected = predict_frame(predictor_from_run(run, state.dataset), pd.DataFrame([row]))
        assert answer["predictions"] == expected.labels.tolist()
        assert answer["model"] == run.label

        expect(main.get_by_test_id("stMetricValue").first).to_have_text("1", timeout=10_000)  # requests
        page.screenshot(path=str(tmp_path / "deploy-called.png"), full_page=True)
        page.get_by_role("button", name="Stop").click()
        expect(main.get_by_text("stopped", exact=True)).to_be_visible(timeout=30_000)
        assert _port_free(port)
