"""AppTest for the Data page: every source, bad files, target/role/type changes, and state kept."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from apptest_support import shown
from streamlit.testing.v1 import AppTest


@pytest.fixture
def at(open_app) -> AppTest:
    return open_app()


def _upload(at: AppTest, path: Path) -> None:
    at.file_uploader(key="data_upload").set_value((path.name, path.read_bytes(), "text/csv")).run()
    assert not at.exception


def _upload_frame(at: AppTest, frame: pd.DataFrame, name: str) -> None:
    data = frame.to_csv(index=False).encode()
    at.file_uploader(key="data_upload").set_value((name, data, "text/csv")).run()
    assert not at.exception


def _page_text(at: AppTest) -> list[tuple[str, str]]:
    """(element type, text) of the main area's messages and headings, in page order."""
    kinds = {"error", "info", "header", "caption"}
    return [(node.type, shown(node.value)) for node in at.main if getattr(node, "type", None) in kinds]


def _workspace(at: AppTest):
    return at.session_state["workspace"]


def _load_sample_button(at: AppTest):
    return next(b for b in at.button if b.label == "Load sample")


def _task_radio(at: AppTest):
    return next(r for r in at.radio if r.label == "Task")


def _selectbox(at: AppTest, label: str):
    return next(s for s in at.selectbox if s.label == label)


def test_empty_state_invites_the_user_to_load_data(at):
    assert any("No dataset yet" in i.value for i in at.info)


def test_load_each_sample(at):
    for key in ["iris", "penguins", "wine", "breast_cancer", "diabetes", "digits"]:
        at.selectbox(key="sample_choice").set_value(key).run()
        _load_sample_button(at).click().run()
        assert not at.exception
        dataset = _workspace(at).dataset
        assert dataset.source == f"sample: {key}"
        assert shown(at.header[0].value) == dataset.name
        assert _selectbox(at, "Column to predict (target)").value == dataset.target
    assert _selectbox(at, "Column to predict (target)").value == "digit"


def test_generator_controls_make_the_table(at):
    at.selectbox(key="gen_shape").set_value(at.selectbox(key="gen_shape").options[2]).run()  # blobs
    at.number_input(key="gen_n").set_value(120).run()
    at.number_input(key="gen_classes").set_value(4).run()
    next(b for b in at.button if b.label == "Generate").click().run()
    frame = _workspace(at).dataset.frame
    assert frame.shape == (120, 3)
    assert frame["target"].nunique() == 4


def test_upload_shows_preview_schema_and_notes(at, bad_dir):
    _upload(at, bad_dir / "mixed_types.csv")
    dataset = _workspace(at).dataset
    assert dataset.name == "mixed_types.csv"
    assert any("'age': 1 non-numeric cell" in shown(i.value) for i in at.info)
    preview, schema = at.dataframe[0].value, at.dataframe[1].value
    assert preview.shape == (5, 3)
    assert schema["type"].tolist() == ["numeric", "numeric", "numeric"]
    assert schema["role"].tolist() == ["feature", "feature", "target"]


@pytest.mark.parametrize("name", ["empty.csv", "binary_junk.csv", "png_renamed.csv", "header_only.csv"])
def test_bad_file_shows_a_message_and_keeps_the_dataset(at, bad_dir, name):
    _load_sample_button(at).click().run()  # load iris first
    _upload(at, bad_dir / name)
    assert len(at.error) == 1
    assert at.error[0].value.startswith("**")
    assert _workspace(at).dataset.name == "Iris flowers"
    assert shown(at.header[0].value) == "Still loaded: Iris flowers"


def test_ragged_file_offers_to_drop_the_bad_rows(at, bad_dir):
    _upload(at, bad_dir / "ragged_rows.csv")
    assert "lines 3, 4" in at.error[0].value
    drop = next(b for b in at.button if b.label.startswith("Load anyway"))
    drop.click().run()
    assert _workspace(at).dataset.frame.shape == (2, 3)
    assert not at.error


def test_excel_sheet_picker(at, bad_dir):
    path = bad_dir / "two_sheets.xlsx"
    at.file_uploader(key="data_upload").set_value((path.name, path.read_bytes(), "application/xlsx")).run()
    sheet = _selectbox(at, "Sheet")
    assert sheet.options == ["notes", "data"] and sheet.value == "data"
    sheet.set_value("notes").run()
    assert "no rows" in at.error[0].value
    assert _workspace(at).dataset.frame.shape == (30, 3)  # the data sheet stays loaded


def test_target_task_roles_and_types(at, bad_dir):
    _upload(at, bad_dir / "single_class_target.csv")
    assert any("was not chosen as the target" in i.value for i in at.info)
    _selectbox(at, "Column to predict (target)").set_value("target").run()
    assert "only one class" in at.error[0].value
    assert _workspace(at).dataset.target is None
    assert _selectbox(at, "Column to predict (target)").value is None  # the widget shows the truth

    _selectbox(at, "Column to predict (target)").set_value("f2").run()
    assert _workspace(at).dataset.target == "f2"
    assert _task_radio(at).value == "regression"
    assert "→ regression" in at.caption[-1].value or any("→ regression" in c.value for c in at.caption)
    _task_radio(at).set_value(_task_radio(at).options[0]).run()
    assert "continuous" not in (at.error[0].value if at.error else "")
    assert _workspace(at).dataset.task.value == "classification"  # 50 whole numbers, allowed

    at.multiselect[0].set_value(["f1"]).run()
    assert _workspace(at).dataset.features == ["target"]
    assert at.dataframe[1].value.set_index("column").loc["f1", "role"] == "ignore"

    _selectbox(at, "Column").set_value("f1").run()
    _selectbox(at, "Type").set_value(_selectbox(at, "Type").options[1]).run()  # categorical
    assert _workspace(at).dataset.column("f1").ctype.value == "categorical"
    _selectbox(at, "Column").set_value("target").run()
    _selectbox(at, "Type").set_value(_selectbox(at, "Type").options[0]).run()  # numeric on text
    assert "holds text" in at.error[0].value
    assert _workspace(at).dataset.column("target").ctype.value == "categorical"


def test_refused_upload_says_the_notes_shown_belong_to_the_dataset_still_loaded(at, bad_dir):
    _upload(at, bad_dir / "mixed_types.csv")  # loads, with a reader note about 'age'
    assert shown(at.header[0].value) == "mixed_types.csv"
    _upload(at, bad_dir / "empty.csv")
    text = _page_text(at)
    kinds = [kind for kind, _ in text]
    error = kinds.index("error")
    header = text.index(("header", "Still loaded: mixed_types.csv"))
    note = next(i for i, (kind, value) in enumerate(text) if kind == "info" and "'age'" in value)
    assert error < header < note  # the error first, then the old table's heading, then its notes
    assert text[header + 1] == (
        "caption",
        "The file or sheet above was not loaded: the table below is the one still in use, with its notes.",
    )


def test_schema_distinct_is_blank_for_decimal_columns_not_none(at):
    _load_sample_button(at).click().run()  # iris
    schema = at.dataframe[1]
    distinct = schema.value.set_index("column")["distinct"]
    assert pd.isna(distinct["sepal length (cm)"]) and distinct["species"] == 3
    assert schema.proto.placeholder == ""  # a missing count shows as a blank cell, never "None"
    config = json.loads(schema.proto.columns)
    assert "not counted" in config["distinct"]["help"]


def test_a_one_row_table_reads_1_row(at):
    _upload_frame(at, pd.DataFrame({"a": [1.5], "b": ["x"]}), "one.csv")
    assert any(shown(c.value) == "upload: one.csv · 1 row × 2 columns" for c in at.caption)


def test_target_box_offers_candidates_first_and_says_why_none_was_chosen(at):
    rng = np.random.default_rng(0)
    n = 200
    x = rng.uniform(3.8, 9.0, n).round(2)
    diamonds = pd.DataFrame(
        {
            "carat": (x / 6.4) ** 3,
            "cut": rng.choice(["Fair", "Good", "Ideal"], n),
            "price": (3000 * (x / 6.4) ** 5).round(0).astype(int),
            "x": x,
            "y": (x + rng.normal(0, 0.05, n)).round(2),
            "z": (0.62 * x).round(2),
        }
    )
    _upload_frame(at, diamonds, "diamonds.csv")
    assert _workspace(at).dataset.target is None
    box = _selectbox(at, "Column to predict (target)")
    assert box.value is None
    assert box.options[:4] == [
        "— none —",
        "★ price · a name often predicted",
        "★ z · the last column, where tables often keep the answer",
        "★ cut · 3 classes",
    ]
    assert box.options[4:] == ["carat", "x", "y"]
    assert any(
        shown(i.value)
        == "No target was chosen: 'y' sits beside 'x' and 'z', so it may be a coordinate or a size "
        "rather than what to predict. Pick the column to predict; likely ones are marked ★."
        for i in at.info
    )
    box.set_value("price").run()
    assert _workspace(at).dataset.task.value == "regression"


def test_a_guessed_target_is_said_to_be_a_guess(at, bad_dir):
    _upload(at, bad_dir / "utf8_bom.csv")
    assert _workspace(at).dataset.target == "label"
    assert any(
        shown(c.value)
        == "The target was guessed from its name: 'label' is named like a target. Pick another "
        "column if that is not what you want to predict."
        for c in at.caption
    )


def _two_sheets_with_dates(tmp_path: Path) -> Path:
    """A workbook whose second sheet holds dates written as text that read either way (05/02/2024)."""
    path = tmp_path / "visits.xlsx"
    with pd.ExcelWriter(path) as writer:
        pd.DataFrame({"a": np.arange(40.0), "b": np.arange(40.0) % 3}).to_excel(
            writer, sheet_name="numbers", index=False
        )
        days = range(1, 13)  # 01/02/2024, 02/03/2024, …: every day and month at most 12
        visits = pd.DataFrame({"when": [f"{d:02d}/{d % 12 + 1:02d}/2024" for d in days]})
        visits["amount"] = np.arange(12.0) * 1.5
        visits.to_excel(writer, sheet_name="visits", index=False)
    return path


def test_dates_that_read_either_way_can_be_loaded_again_day_first(at, tmp_path):
    path = _two_sheets_with_dates(tmp_path)
    at.file_uploader(key="data_upload").set_value((path.name, path.read_bytes(), "application/xlsx")).run()
    _selectbox(at, "Sheet").set_value("visits").run()
    assert not at.exception and _workspace(at).sheet == "visits"
    assert any(
        i.value == "Dates such as 05/02/2024 in 'when' were read month first (as 2 May 2024)."
        for i in at.info
    )
    next(
        b for b in at.button if b.label == "Load again, reading them day first (5 February 2024)"
    ).click().run()
    workspace = _workspace(at)
    assert workspace.sheet == "visits"  # the chosen sheet is kept
    assert workspace.dataset.read_info.day_first
    assert workspace.dataset.frame["when"].iloc[1] == pd.Timestamp("2024-03-02")  # 02/03/2024: 2 March
    assert any(
        i.value == "Dates such as 05/02/2024 in 'when' were read day first (as 5 February 2024)."
        for i in at.info
    )
    assert any(b.label == "Load again, reading them month first (2 May 2024)" for b in at.button)


def test_no_date_order_question_when_the_values_show_the_order(at, tmp_path):
    path = tmp_path / "proved.csv"
    pd.DataFrame({"when": ["25/02/2024", "05/03/2024"] * 15, "amount": np.arange(30.0)}).to_csv(
        path, index=False
    )
    _upload(at, path)
    assert _workspace(at).dataset.frame["when"].iloc[1] == pd.Timestamp("2024-03-05")
    assert not any(i.value.startswith("Dates such as") for i in at.info)
    assert not any(b.label.startswith("Load again, reading them") for b in at.button)


def test_a_sample_chosen_in_the_same_run_as_the_click_is_the_one_loaded(at):
    """Regression: the button carried the choice of its last drawing, so a click arriving with a new
    choice the page had not redrawn for (a quick user, a slow server) loaded the previous sample."""
    at.selectbox(key="sample_choice").set_value("penguins")
    _load_sample_button(at).click().run()
    assert _workspace(at).dataset.source == "sample: penguins"


def test_generate_uses_the_shape_and_knobs_set_in_the_same_run_as_the_click(at):
    at.selectbox(key="gen_shape").set_value(at.selectbox(key="gen_shape").options[2])
    at.number_input(key="gen_n").set_value(123)
    next(b for b in at.button if b.label == "Generate").click().run()
    dataset = _workspace(at).dataset
    assert dataset.n_rows == 123 and "blobs" in dataset.source.lower()
