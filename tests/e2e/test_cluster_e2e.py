"""An analyst sets one environment variable and the same clicks run on a Dask cluster (issue 19): a
scheduler and two workers started by the `dask` command, the app pointed at it, a sample trained in
Chromium, and the cluster's scheduler knows the models as its tasks."""

from __future__ import annotations

import re

import pytest
from browser_helpers import add_option, go_to, load_sample, wait_for_app
from playwright.sync_api import expect

from mlcore.compute.cluster import SCHEDULER_VARIABLE

pytestmark = pytest.mark.e2e

MODELS = ["Gaussian naive Bayes", "Decision tree", "Random forest"]


def _task_kinds(address: str) -> list[str]:
    """The kinds of task the scheduler has run (their key prefixes)."""
    from distributed import Client

    with Client(address, timeout=30, set_as_default=False) as client:
        return client.run_on_scheduler(lambda dask_scheduler: sorted(dask_scheduler.task_prefixes))


def test_the_same_clicks_train_on_a_dask_cluster(browser, start_app, cli_cluster, tmp_path):
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    with start_app({SCHEDULER_VARIABLE: cli_cluster.address}, "streamlit-cluster.log") as url:
        page = context.new_page()
        page.goto(url)
        wait_for_app(page)
        sidebar = page.get_by_test_id("stSidebar")
        expect(sidebar.get_by_text(f"Dask cluster {cli_cluster.address}")).to_be_visible()
        expect(sidebar.get_by_text(re.compile(r"2 workers · 2 cores · .* memory"))).to_be_visible()
        dashboard = sidebar.get_by_role("link", name="Dask dashboard")
        expect(dashboard).to_have_attribute("href", re.compile(r"^http://127\.0\.0\.1:\d+/status$"))
        load_sample(page, "Iris flowers")

        go_to(page, "Train")
        main = page.get_by_test_id("stMain")
        models = page.get_by_test_id("stMultiSelect").filter(has_text="Models")
        for name in MODELS:
            add_option(page, models, name)
        page.get_by_role("button", name="Train 3 models").click()
        expect(main.get_by_text("Last training: 3 trained in")).to_be_visible(timeout=120_000)
        board = page.get_by_test_id("stDataFrame").filter(has_text="CV accuracy")
        for name in MODELS:
            expect(board.locator("td[role=gridcell]", has_text=name)).to_have_count(1)
        expect(board.locator("td[role=gridcell]", has_text=re.compile("^ok$"))).to_have_count(3)
        page.screenshot(path=str(tmp_path / "cluster-trained.png"), full_page=True)
    context.close()
    assert "train_worker" in _task_kinds(cli_cluster.address)  # the models ran as cluster tasks
