"""A database read as a Dataset (issue 18): its origin is kept with the project (never a password),
stated in the model card, read again on request, and driven from the command line; a file sampled
on request says how it was sampled. SQLite files stand in for a server here (test_databases.py
covers PostgreSQL itself)."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from model_helpers import train

from mlcore.cli import main
from mlcore.data.database_loading import DatabaseRead, load_database, refresh_read
from mlcore.data.databases import DatabaseSpec
from mlcore.data.large_loading import load_path_any_size
from mlcore.data.loading import load_path
from mlcore.deploy.bundle import build_bundle
from mlcore.errors import DatabaseError
from mlcore.origin import Origin
from mlcore.track.project_files import ProjectSettings
from mlcore.track.projects import ProjectStore


def _frame(rows: int = 120) -> pd.DataFrame:
    rng = np.random.default_rng(3)
    return pd.DataFrame(
        {
            "size": np.round(rng.normal(50, 10, rows), 3),
            "rooms": rng.integers(1, 6, rows),
            "town": rng.choice(["north", "south", "east"], rows),
            "label": rng.choice(["cheap", "dear"], rows),
        }
    )


@pytest.fixture
def shop(tmp_path: Path) -> tuple[DatabaseSpec, pd.DataFrame]:
    frame = _frame()
    path = tmp_path / "homes.sqlite"
    with sqlite3.connect(path) as connection:
        frame.to_sql("homes", connection, index=False)
    return DatabaseSpec(f"sqlite:///{path}"), frame


def test_a_table_loads_with_the_types_and_target_a_csv_of_it_gets(shop, tmp_path):
    spec, frame = shop
    dataset = load_database(spec, None, DatabaseRead(table="homes"))
    frame.to_csv(tmp_path / "homes.csv", index=False)
    from_file = load_path(tmp_path / "homes.csv")
    assert [(c.name, c.ctype) for c in dataset.columns] == [(c.name, c.ctype) for c in from_file.columns]
    assert dataset.target == from_file.target == "label"
    pd.testing.assert_frame_equal(dataset.frame, from_file.frame)
    origin = dataset.origin
    assert (origin.location, origin.table, origin.query, origin.row_limit) == (spec.url, "homes", "", 100_000)
    assert origin.read_at and not origin.is_sample


def test_a_query_with_a_row_limit_keeps_that_many_rows_and_says_so(shop):
    spec, frame = shop
    read = DatabaseRead(query="SELECT size, town FROM homes ORDER BY size", row_limit=30)
    dataset = load_database(spec, None, read)
    expected = frame.sort_values("size")[["size", "town"]].head(30).reset_index(drop=True)
    pd.testing.assert_frame_equal(dataset.frame, expected, check_dtype=False)
    assert any("30" in note for note in dataset.notes)
    assert "at most 30 rows" in dataset.origin.sentence()


def test_a_read_names_a_table_or_a_query_never_both_nor_neither():
    with pytest.raises(DatabaseError):
        DatabaseRead()
    with pytest.raises(DatabaseError):
        DatabaseRead(table="t", query="SELECT 1")


def test_the_origin_is_saved_with_the_project_and_read_back(shop, tmp_path):
    spec, _ = shop
    dataset = load_database(spec, None, DatabaseRead(query="SELECT * FROM homes", row_limit=50))
    store = ProjectStore(tmp_path / "home")
    info = store.create(dataset, ProjectSettings())
    back = ProjectStore(store.home).load(info.id).dataset
    assert back.origin == dataset.origin


def test_a_sample_origin_with_statistics_of_every_row_round_trips_through_a_project(tmp_path):
    frame = _frame(2_000)
    frame.to_parquet(tmp_path / "big.parquet")
    dataset = load_path_any_size(tmp_path / "big.parquet", sample_rows=500, seed=4)
    assert dataset.n_rows == 500 and dataset.origin.sampled_rows == 500 and dataset.origin.total_rows == 2_000
    store = ProjectStore(tmp_path / "home")
    back = ProjectStore(store.home).load(store.create(dataset, ProjectSettings()).id).dataset
    assert back.origin == dataset.origin
    rooms = next(c for c in back.origin.whole.columns if c.name == "rooms")
    assert rooms.count == 2_000 and rooms.mean == pytest.approx(frame["rooms"].mean())


def test_a_damaged_origin_in_a_project_file_is_refused_plainly():
    with pytest.raises(TypeError):
        Origin.from_dict({"location": "x", "unknown": 1})


def test_the_model_card_states_the_origin_and_the_bundle_carries_the_rows_it_trained_on(shop):
    spec, _ = shop
    dataset = load_database(spec, None, DatabaseRead(table="homes"))
    run = train(dataset, "logistic_regression")
    bundle = build_bundle(run, dataset)
    card = json.loads(bundle.files["model_card.json"])
    assert card["dataset"]["origin"]["table"] == "homes"
    assert card["dataset"]["origin"]["sentence"] == dataset.origin.sentence()
    assert "Origin: Read from table homes" in bundle.text("model_card.md")
    assert any(name.startswith("data") for name in bundle.files), sorted(bundle.files)


def test_refresh_repeats_the_read_with_the_same_limit_and_sample_seed():
    origin = Origin("postgresql://ann@db/shop", query="SELECT 1", password_env="PGPASS", row_limit=70)
    spec, read = refresh_read(origin, seed=9)
    assert spec == DatabaseSpec("postgresql://ann@db/shop", "PGPASS")
    assert (read.query, read.table, read.row_limit, read.sample, read.seed) == (
        "SELECT 1",
        None,
        70,
        False,
        9,
    )
    sampled = Origin("duckdb:///x.duckdb", table="t", total_rows=10, sampled_rows=5, sample_seed=2)
    assert refresh_read(sampled, seed=9)[1].seed == 2  # the same rows again
    with pytest.raises(DatabaseError):
        refresh_read(Origin("big.parquet", total_rows=10, sampled_rows=5, sample_seed=0), seed=0)


def test_the_command_line_reads_a_table_or_a_query_from_a_database_url(shop, capsys):
    spec, frame = shop
    assert main(["info", spec.url, "--table", "homes", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert (report["rows"], report["columns"], report["target"]) == (len(frame), 4, "label")
    query = "SELECT rooms, label FROM homes WHERE rooms > 2"
    assert main(["info", spec.url, "--query", query, "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["rows"] == int((frame.rooms > 2).sum())


def test_the_command_line_refuses_a_database_without_a_table_and_a_write_query(shop, capsys):
    spec, _ = shop
    assert main(["info", spec.url]) == 2
    assert "--table" in capsys.readouterr().err
    assert main(["info", spec.url, "--query", "DROP TABLE homes"]) == 2
    assert main(["info", spec.url, "--table", "homes"]) == 0  # still there


def test_the_command_line_samples_a_file_on_request_and_says_so(tmp_path, capsys):
    _frame(3_000).to_csv(tmp_path / "homes.csv", index=False)
    assert main(["info", str(tmp_path / "homes.csv"), "--sample", "1000", "--json"]) == 0
    captured = capsys.readouterr()
    assert json.loads(captured.out)["rows"] == 1_000
    assert "uniform random sample of 1,000 of its 3,000 rows" in captured.err


def test_info_json_of_a_sampled_file_carries_the_statistics_of_every_row(tmp_path, capsys):
    frame = _frame(3_000)
    frame.to_csv(tmp_path / "homes.csv", index=False)
    assert main(["info", str(tmp_path / "homes.csv"), "--sample", "1000", "--json"]) == 0
    origin = json.loads(capsys.readouterr().out)["origin"]
    assert (origin["total_rows"], origin["sampled_rows"], origin["sample_seed"]) == (3_000, 1_000, 0)
    size = next(c for c in origin["whole"]["columns"] if c["name"] == "size")
    assert size["count"] == 3_000 and size["mean"] == pytest.approx(frame["size"].mean())
    assert size["std"] == pytest.approx(frame["size"].std())


def test_a_table_read_as_a_sample_keeps_its_database_origin_and_the_statistics_of_every_row(shop):
    spec, frame = shop
    read = DatabaseRead(table="homes", sample=True, sample_rows=50, seed=3)
    dataset = load_database(spec, None, read)
    assert dataset.n_rows == 50
    origin = dataset.origin
    assert (origin.location, origin.table, origin.total_rows, origin.sampled_rows, origin.sample_seed) == (
        spec.url,
        "homes",
        len(frame),
        50,
        3,
    )
    rooms = next(c for c in origin.whole.columns if c.name == "rooms")
    assert rooms.count == len(frame) and rooms.mean == pytest.approx(frame["rooms"].mean())
    assert set(map(tuple, dataset.frame[["size", "town"]].values)) <= set(
        map(tuple, frame[["size", "town"]].values)
    )
    again = load_database(spec, None, read)
    pd.testing.assert_frame_equal(again.frame, dataset.frame)  # the same seed, the same rows
