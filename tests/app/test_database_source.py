"""The Data page's Database tab (issue 18) in AppTest: connect, browse, preview, load a table or a
query, a refused write, and a password that never shows."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import numpy as np
import pandas as pd
from apptest_support import page_text

from mlcore.data.database_loading import DatabaseRead
from mlcore.data.databases import DatabaseSpec
from mlcore.workspace import Workspace

SECRET = "s3cret-Pa55"


def _shop(tmp_path: Path) -> tuple[Path, pd.DataFrame]:
    rng = np.random.default_rng(0)
    sales = pd.DataFrame(
        {
            "price": np.round(rng.uniform(1, 100, 80), 2),
            "colour": rng.choice(["red", "green", "blue"], 80),
            "units": rng.integers(0, 20, 80),
            "label": rng.choice(["yes", "no"], 80),
        }
    )
    path = tmp_path / "shop.sqlite"
    with sqlite3.connect(path) as connection:
        sales.to_sql("sales", connection, index=False)
        pd.DataFrame({"code": ["a", "b"]}).to_sql("codes", connection, index=False)
    return path, sales


def _connected(open_app, tmp_path: Path):
    path, sales = _shop(tmp_path)
    at = open_app("pages/data.py")
    at.text_input(key="db_url").set_value(f"sqlite:///{path}").run()
    at.button(key="db_connect").click().run()
    assert not at.exception, at.exception
    return at, sales


def _qualified(at, name: str) -> str:
    return next(f.qualified for f in at.session_state["db_connected"].tables if f.name == name)


def test_connecting_lists_every_table_with_its_rows_and_columns(open_app, tmp_path):
    at, sales = _connected(open_app, tmp_path)
    tables = {f.name: f for f in at.session_state["db_connected"].tables}
    assert set(tables) == {"sales", "codes"}
    assert tables["sales"].rows == len(sales)
    assert [c for c, _ in tables["sales"].columns] == list(sales.columns)
    assert "2 tables" in page_text(at)


def test_a_picked_table_is_previewed_and_loads_as_the_dataset_with_its_origin(open_app, tmp_path):
    at, sales = _connected(open_app, tmp_path)
    table = _qualified(at, "sales")
    at.selectbox(key="db_table").set_value(table).run()
    preview = at.session_state["db_preview"][1]
    pd.testing.assert_frame_equal(preview.reset_index(drop=True), sales.head(20), check_dtype=False)
    at.button(key="db_load_table").click().run()
    dataset = at.session_state["workspace"].dataset
    pd.testing.assert_frame_equal(dataset.frame.reset_index(drop=True), sales, check_dtype=False)
    assert dataset.origin.table == table and dataset.origin.location.startswith("sqlite:")
    assert dataset.target == "label"  # typed and guessed as any upload is
    assert "Read from table" in page_text(at)


def test_a_query_loads_its_rows_and_a_write_is_refused_leaving_the_dataset(open_app, tmp_path):
    at, sales = _connected(open_app, tmp_path)
    at.text_area(key="db_query").set_value("SELECT colour, units FROM sales WHERE units > 10").run()
    at.button(key="db_run_query").click().run()
    dataset = at.session_state["workspace"].dataset
    expected = sales.loc[sales.units > 10, ["colour", "units"]].reset_index(drop=True)
    pd.testing.assert_frame_equal(dataset.frame.reset_index(drop=True), expected, check_dtype=False)
    assert dataset.origin.query.startswith("SELECT colour")

    at.text_area(key="db_query").set_value("DELETE FROM sales").run()
    at.button(key="db_run_query").click().run()
    assert at.session_state["workspace"].dataset is dataset
    assert "read-only" in page_text(at).lower() or "select" in page_text(at).lower()
    path = Path(dataset.origin.location.split("///", 1)[1].split("?", 1)[0])
    with sqlite3.connect(path) as connection:
        assert connection.execute("SELECT count(*) FROM sales").fetchone()[0] == len(sales)


def test_a_password_typed_in_the_url_moves_to_the_masked_field_and_is_never_shown(open_app):
    at = open_app("pages/data.py")
    at.text_input(key="db_url").set_value(f"postgresql://ann:{SECRET}@127.0.0.1:9/shop").run()
    at.button(key="db_connect").click().run()
    assert not at.exception
    assert at.text_input(key="db_url").value == "postgresql://ann@127.0.0.1:9/shop"
    assert at.session_state["db_password"] == SECRET
    assert at.error, "an unreachable server is reported"
    assert SECRET not in page_text(at)
    assert SECRET not in repr(at.session_state["workspace"])


def test_a_database_dataset_can_be_read_again_and_says_where_it_came_from(open_app, tmp_path):
    path, sales = _shop(tmp_path)
    workspace = Workspace()
    assert workspace.load_database(DatabaseSpec(f"sqlite:///{path}"), None, DatabaseRead(table="sales"))
    with sqlite3.connect(path) as connection:
        connection.execute("DELETE FROM sales WHERE units < 5")
    at = open_app("pages/data.py", workspace)
    at.button(key="refresh_database").click().run()
    assert at.session_state["workspace"].dataset.n_rows == int((sales.units >= 5).sum())


def test_uploaded_database_files_are_named_by_content_and_only_the_newest_are_kept(monkeypatch, tmp_path):
    from ui import database_source

    monkeypatch.setattr(database_source.tempfile, "gettempdir", lambda: str(tmp_path))
    monkeypatch.setattr(database_source, "SAVED_FILES_KEPT", 3)
    paths = [database_source._saved_file(f"file {i}".encode()) for i in range(5)]
    assert paths[0] == database_source._saved_file(b"file 0")  # the same bytes, the same file
    kept = sorted((tmp_path / "mlcore-databases").glob("*"))
    assert len(kept) == 3 and paths[0] in kept and paths[1] not in kept
    assert all(p.suffix == ".db" and len(p.stem) == 32 for p in kept)


def test_a_read_too_large_for_memory_is_offered_as_a_sample_and_loads_as_one(open_app, tmp_path):
    from mlcore.errors import LimitExceededError

    at, sales = _connected(open_app, tmp_path)
    table = _qualified(at, "sales")
    at.session_state["db_last_read"] = DatabaseRead(table=table)
    at.session_state["workspace"].problem = LimitExceededError("Too large for memory.", "Sample it.")
    at.run()
    at.number_input(key="db_sample_rows").set_value(1_000).run()  # more than the table: all of it
    at.button(key="db_load_sample").click().run()
    dataset = at.session_state["workspace"].dataset
    assert dataset.origin.table == table and dataset.origin.total_rows == len(sales)
    assert dataset.origin.sampled_rows == len(sales) and dataset.origin.whole.rows == len(sales)
    assert "Every row: 80 rows" in " ".join(e.label for e in at.expander)


def test_the_table_chosen_in_the_same_run_as_the_click_is_the_one_loaded(open_app, tmp_path):
    at, _ = _connected(open_app, tmp_path)
    at.selectbox(key="db_table").set_value(_qualified(at, "codes"))
    at.button(key="db_load_table").click().run()
    assert at.session_state["workspace"].dataset.origin.table == _qualified(at, "codes")
