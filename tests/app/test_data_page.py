"""AppTest for the Data page: every source, bad files, target/role/type changes, and state kept."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest


@pytest.fixture
def at(open_app) -> AppTest:
    return open_app()


def _upload(at: AppTest, path: Path) -> None:
    at.file_uploader(key="data_upload").set_value((path.name, path.read_bytes(), "text/csv")).run()
    assert not at.exception


def _workspace(at: AppTest):
    return at.session_state["workspace"]


def _selectbox(at: AppTest, label: str):
    return next(s for s in at.selectbox if s.label == label)


def test_empty_state_invites_the_user_to_load_data(at):
    assert any("No dataset yet" in i.value for i in at.info)


def test_load_each_sample(at):
    for key in ["iris", "penguins", "wine", "breast_cancer", "diabetes", "digits"]:
        at.selectbox(key="sample_choice").set_value(key).run()
        at.button[0].click().run()
        assert not at.exception
        dataset = _workspace(at).dataset
        assert dataset.source == f"sample: {key}"
        assert at.header[0].value == dataset.name
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
    assert any("'age': 1 non-numeric cell" in i.value for i in at.info)
    preview, schema = at.dataframe[0].value, at.dataframe[1].value
    assert preview.shape == (5, 3)
    assert schema["type"].tolist() == ["numeric", "numeric", "numeric"]
    assert schema["role"].tolist() == ["feature", "feature", "target"]


@pytest.mark.parametrize("name", ["empty.csv", "binary_junk.csv", "png_renamed.csv", "header_only.csv"])
def test_bad_file_shows_a_message_and_keeps_the_dataset(at, bad_dir, name):
    at.button[0].click().run()  # load iris first
    _upload(at, bad_dir / name)
    assert len(at.error) == 1
    assert at.error[0].value.startswith("**")
    assert _workspace(at).dataset.name == "Iris flowers"
    assert at.header[0].value == "Iris flowers"


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
    assert at.radio[0].value == "regression"
    assert "→ regression" in at.caption[-1].value or any("→ regression" in c.value for c in at.caption)
    at.radio[0].set_value(at.radio[0].options[0]).run()
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
