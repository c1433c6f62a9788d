"""An analyst in Chromium connects to a PostgreSQL database (started by the test), picks a table,
loads it and trains on it without exporting a file; the password never appears on a page."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest
from browser_helpers import add_option, go_to, wait_for_app
from playwright.sync_api import expect
from postgres_server import READER, READER_PASSWORD

pytestmark = pytest.mark.e2e

ROWS = 150


def _homes_table(server) -> None:
    rng = np.random.default_rng(1)
    size = np.round(rng.normal(80, 20, ROWS), 1)
    towns = rng.choice(["north", "south"], ROWS)
    rows = [
        (float(s), int(rng.integers(1, 6)), str(town), "dear" if s > 80 else "cheap")
        for s, town in zip(size, towns, strict=True)
    ]
    with server.admin() as admin:
        admin.execute("CREATE TABLE homes (size double precision, rooms integer, town text, label text)")
        with admin.cursor() as cursor:
            cursor.executemany("INSERT INTO homes VALUES (%s, %s, %s, %s)", rows)
        admin.execute(f"GRANT SELECT ON homes TO {READER}")


def test_connect_pick_a_table_and_train_on_it(page, postgres_server, tmp_path):
    _homes_table(postgres_server)
    main = page.get_by_test_id("stMain")
    main.get_by_role("tab", name="Database").click()
    main.get_by_role("textbox", name="Database URL").fill(postgres_server.url())
    main.get_by_role("textbox", name="Password", exact=True).fill(READER_PASSWORD)
    main.get_by_role("button", name="Connect").click()
    wait_for_app(page)
    expect(main.get_by_text(re.compile(r"Connected to .*· 1 table"))).to_be_visible()
    expect(main.get_by_text("The first 20 rows:")).to_be_visible()  # the table is previewed
    page.screenshot(path=str(tmp_path / "database-browse.png"), full_page=True)

    main.get_by_role("button", name="Load this table").click()
    wait_for_app(page)
    expect(main.get_by_role("heading", name="homes")).to_be_visible()
    expect(main.get_by_text(f"{ROWS} rows × 4 columns")).to_be_visible()
    expect(main.get_by_text(re.compile("Read from table .*homes"))).to_be_visible()
    sidebar = page.get_by_test_id("stSidebar")
    expect(sidebar.get_by_text("Target: label")).to_be_visible()
    page.screenshot(path=str(tmp_path / "database-loaded.png"), full_page=True)
    assert READER_PASSWORD not in page.content()

    go_to(page, "Train")
    add_option(page, page.get_by_test_id("stMultiSelect").filter(has_text="Models"), "Decision tree")
    page.get_by_role("button", name="Train 1 model").click()
    expect(main.get_by_text("Last training: 1 trained in")).to_be_visible(timeout=90_000)
    board = page.get_by_test_id("stDataFrame").filter(has_text="CV")
    expect(board.locator("td[role=gridcell]", has_text="Decision tree")).to_have_count(1)
    page.screenshot(path=str(tmp_path / "database-trained.png"), full_page=True)
    assert READER_PASSWORD not in page.content()


def test_a_file_larger_than_memory_is_summarised_on_every_row_and_sampled(browser, start_app, tmp_path):
    """A student's Parquet file over the server's memory limit (64 MB here): not refused, its overview
    computed on every row by DuckDB, and a stated uniform sample loaded to work on."""
    rows = 1_500_000
    rng = np.random.default_rng(2)
    frame = pd.DataFrame({f"x{i}": rng.normal(i, 1, rows) for i in range(6)})
    frame["label"] = np.where(frame["x0"] > 0, "yes", "no")
    frame.to_parquet(tmp_path / "sensors.parquet")
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    with start_app({"MLCORE_MEMORY_LIMIT_MB": "64"}, "streamlit-large.log") as url:
        page = context.new_page()
        page.goto(url)
        wait_for_app(page)
        page.get_by_test_id("stFileUploaderDropzoneInput").set_input_files(str(tmp_path / "sensors.parquet"))
        wait_for_app(page)
        main = page.get_by_test_id("stMain")
        expect(main.get_by_text("the limit is 64 MB")).to_be_visible()
        main.get_by_role("button", name="Summarise every row and load a sample").click()
        wait_for_app(page)
        sentence = main.get_by_text(re.compile(r"a uniform random sample of [\d,]+ of its 1,500,000 rows"))
        expect(sentence).to_be_visible(timeout=60_000)
        expect(main.get_by_text(re.compile(r"Every row: 1,500,000 rows, computed by DuckDB"))).to_be_visible()
        page.screenshot(path=str(tmp_path / "large-data.png"), full_page=True)

        go_to(page, "Explore")
        expect(main.get_by_text(re.compile(r"Every row: 1,500,000 rows"))).to_be_visible()
        expect(main.get_by_text(re.compile(r"Below: the sample of [\d,]+ rows"))).to_be_visible()
        page.screenshot(path=str(tmp_path / "large-explore.png"), full_page=True)
    context.close()
