"""Every awkward file in shared/data/bad ends as its README says: loads correctly, or a clear typed error."""

from __future__ import annotations

import math

import pytest

from mlcore.data.loading import load_bytes, load_path
from mlcore.data.readers import RaggedRowsError, ReadOptions
from mlcore.dataset import FileFormat, ReadInfo
from mlcore.errors import EmptyFileError, MLCoreError, NotATableError, TargetError
from mlcore.schema import ColumnType, Role
from mlcore.workspace import Workspace


@pytest.mark.parametrize(
    ("name", "error", "words"),
    [
        ("empty.csv", EmptyFileError, "empty"),
        ("header_only.csv", EmptyFileError, "no rows"),
        ("binary_junk.csv", NotATableError, "binary"),
        ("png_renamed.csv", NotATableError, "PNG image"),
        ("ragged_rows.csv", RaggedRowsError, "lines 3, 4"),
    ],
)
def test_broken_files_give_a_clear_error(bad_dir, name, error, words):
    with pytest.raises(error) as caught:
        load_path(bad_dir / name)
    assert words in caught.value.message
    assert caught.value.hint


def test_ragged_rows_can_be_dropped_when_the_user_agrees(bad_dir):
    dataset = load_path(bad_dir / "ragged_rows.csv", ReadOptions(drop_bad_rows=True))
    assert dataset.frame.to_dict("list") == {"a": [1, 10], "b": [2, 11], "c": [3, 12]}
    assert any("Dropped 2 row(s)" in note for note in dataset.notes)
    assert dataset.read_info == ReadInfo(dropped_rows=2)


def test_latin1_names_and_values_are_read_correctly(bad_dir):
    dataset = load_path(bad_dir / "latin1.csv")
    assert dataset.read_info == ReadInfo(FileFormat.DELIMITED, ",", ".", "cp1252")
    frame = dataset.frame
    assert list(frame.columns) == ["nom", "ville", "âge", "classe"]
    assert frame["nom"].tolist() == ["René", "Zoë", "José"]
    assert frame["ville"].tolist() == ["Besançon", "Orléans", "Málaga"]
    assert frame["âge"].tolist() == [34, 28, 41]


def test_utf8_bom_does_not_leak_into_the_first_name(bad_dir):
    dataset = load_path(bad_dir / "utf8_bom.csv")
    assert dataset.read_info == ReadInfo(encoding="utf-8-sig")
    frame = dataset.frame
    assert list(frame.columns) == ["x", "y", "label"]
    assert frame["x"].tolist() == [1, 3, 5, 7]


def test_semicolons_and_decimal_commas_are_detected(bad_dir):
    dataset = load_path(bad_dir / "semicolon_decimal_comma.csv")
    assert dataset.read_info == ReadInfo(FileFormat.DELIMITED, ";", ",", "utf-8")
    frame = dataset.frame
    assert list(frame.columns) == ["höhe", "gewicht", "klasse"]
    assert frame["höhe"].tolist() == [1.72, 1.80, 1.65, 1.90]
    assert frame["gewicht"].tolist() == [68.5, 81.2, 59.9, 90.1]
    assert dataset.column("höhe").ctype is ColumnType.NUMERIC


def test_duplicate_columns_are_renamed_with_a_note(bad_dir):
    dataset = load_path(bad_dir / "duplicate_columns.csv")
    assert list(dataset.frame.columns) == ["a", "b", "a_2", "target"]
    assert dataset.frame["a_2"].tolist() == [3, 6, 9]
    assert any("'a_2'" in note for note in dataset.notes)


def test_unnamed_index_is_an_identifier_not_a_feature(bad_dir):
    dataset = load_path(bad_dir / "unnamed_index.csv")
    info = dataset.column("index")
    assert info.ctype is ColumnType.IDENTIFIER
    assert info.role is Role.IGNORE
    assert dataset.features == ["a", "b"]


def test_single_class_target_gives_a_clear_error_when_chosen(bad_dir):
    workspace = Workspace()
    assert workspace.load_upload((bad_dir / "single_class_target.csv").read_bytes(), "s.csv")
    assert workspace.dataset.target is None  # not silently chosen
    assert not workspace.set_target("target")
    assert isinstance(workspace.problem, TargetError)
    assert "only one class" in workspace.problem.message
    assert workspace.dataset.target is None


def test_all_missing_target_gives_a_clear_error_when_chosen(bad_dir):
    workspace = Workspace()
    assert workspace.load_upload((bad_dir / "all_missing_target.csv").read_bytes(), "m.csv")
    assert not workspace.set_target("target")
    assert "no values" in workspace.problem.message


def test_mixed_types_become_numbers_and_the_user_is_told_how_many(bad_dir):
    dataset = load_path(bad_dir / "mixed_types.csv")
    frame = dataset.frame
    assert frame["age"].tolist()[:1] == [34.0] and math.isnan(frame["age"][1])
    assert int(frame["age"].isna().sum()) == 1
    assert int(frame["income"].isna().sum()) == 1
    assert dataset.column("age").ctype is ColumnType.NUMERIC
    assert dataset.column("income").ctype is ColumnType.NUMERIC
    assert any("'age': 1 non-numeric cell" in note for note in dataset.notes)
    assert dataset.coerced_cells == (("age", 1),)  # 'n/a' in income is a missing-value token, not text


def test_infinities_become_missing_and_are_reported(bad_dir):
    dataset = load_path(bad_dir / "inf_values.csv")
    column = dataset.frame["b"]
    assert int(column.isna().sum()) == 2
    assert column.dropna().tolist() == [4.0, 5.0]
    assert any("2 infinite value(s)" in note for note in dataset.notes)
    assert dataset.coerced_cells == ()


def test_two_sheets_picks_the_one_with_data_and_offers_both(bad_dir):
    dataset, raw = load_bytes((bad_dir / "two_sheets.xlsx").read_bytes(), "two_sheets.xlsx")
    assert raw.sheets == ["notes", "data"]
    assert raw.sheet == "data"
    assert dataset.read_info == raw.info == ReadInfo(FileFormat.EXCEL, sheet="data")
    assert list(dataset.frame.columns) == ["x", "y", "target"]
    assert dataset.frame["y"].tolist() == [x * x for x in range(30)]
    with pytest.raises(EmptyFileError):
        load_bytes((bad_dir / "two_sheets.xlsx").read_bytes(), "two_sheets.xlsx", ReadOptions(sheet="notes"))


def test_a_failed_upload_keeps_the_loaded_dataset(bad_dir):
    workspace = Workspace()
    assert workspace.load_sample("iris")
    before = workspace.dataset
    assert not workspace.load_upload((bad_dir / "png_renamed.csv").read_bytes(), "png_renamed.csv")
    assert workspace.dataset is before
    assert isinstance(workspace.problem, MLCoreError)
    assert workspace.load_sample("wine")
    assert workspace.problem is None
