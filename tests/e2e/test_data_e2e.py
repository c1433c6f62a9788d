"""A new user uploads a CSV in Chromium, checks the schema, ignores a column and moves between pages."""

from __future__ import annotations

import pytest
from browser_helpers import choose_option, go_to, wait_for_app
from playwright.sync_api import expect

pytestmark = pytest.mark.e2e


def test_upload_schema_role_change_and_page_switch(page, tmp_path):
    csv = tmp_path / "students.csv"
    rows = ["student_id,hours,school,passed"]
    rows += [
        f"{i},{i % 7 + 0.5},{'north' if i % 3 else 'south'},{'yes' if i % 2 else 'no'}" for i in range(40)
    ]
    csv.write_text("\n".join(rows) + "\n")

    page.get_by_test_id("stFileUploaderDropzoneInput").set_input_files(str(csv))
    wait_for_app(page)
    main = page.get_by_test_id("stMain")
    expect(main.get_by_role("heading", name="students.csv")).to_be_visible()
    expect(main.get_by_text("40 rows × 4 columns")).to_be_visible()
    expect(page.get_by_test_id("stDataFrame").first).to_be_visible()  # the preview

    sidebar = page.get_by_test_id("stSidebar")
    expect(sidebar.get_by_text("students.csv")).to_be_visible()
    expect(sidebar.get_by_text("40 rows × 4 columns")).to_be_visible()

    # student_id is recognised as an identifier and ignored; the user also ignores "school".
    ignored = page.get_by_test_id("stMultiSelect").filter(has_text="Ignored columns")
    expect(ignored.get_by_text("student_id")).to_be_visible()
    choose_option(page, ignored, "school")
    wait_for_app(page)
    expect(sidebar.get_by_text("2 feature(s)", exact=False)).to_be_visible()

    # No column is named like a target, so the user picks it: it is offered first, as the last column.
    target = page.get_by_test_id("stSelectbox").filter(has_text="Column to predict")
    choose_option(page, target, "passed", exact=False)
    wait_for_app(page)
    expect(sidebar.get_by_text("Target: passed")).to_be_visible()
    expect(sidebar.get_by_text("Task: classification")).to_be_visible()
    expect(sidebar.get_by_text("1 feature(s)", exact=False)).to_be_visible()
    page.screenshot(path=str(tmp_path / "data.png"))

    go_to(page, "Explore")
    expect(sidebar.get_by_text("students.csv")).to_be_visible()
    expect(sidebar.get_by_text("Target: passed")).to_be_visible()

    go_to(page, "Data")
    expect(page.get_by_test_id("stMain").get_by_role("heading", name="students.csv")).to_be_visible()
    ignored = page.get_by_test_id("stMultiSelect").filter(has_text="Ignored columns")
    expect(ignored.get_by_text("school")).to_be_visible()
    expect(ignored.get_by_text("student_id")).to_be_visible()
