"""Painted data (issue 17, item 1): strokes become rows exactly where they were drawn."""

from __future__ import annotations

import numpy as np
import pytest

from mlcore.schema import Task
from mlcore.teach import paint
from mlcore.teach.errors import TeachError

X, Y = paint.FEATURES


def test_a_click_adds_points_exactly_there_and_a_spread_one_scatters_them_around_it():
    frame = paint.add_at(paint.empty(), 1.0, -2.0, "A")
    assert frame[[X, Y]].to_numpy().tolist() == [[1.0, -2.0]] and frame[paint.CLASS].tolist() == ["A"]
    frame = paint.add_at(frame, 0.0, 0.0, "B", count=200, spread=0.1, seed=3)
    spread = frame.iloc[1:][[X, Y]]
    assert len(frame) == 201 and abs(spread.mean()).max() < 0.03 and 0.08 < spread[X].std() < 0.12
    again = paint.add_at(paint.add_at(paint.empty(), 1.0, -2.0, "A"), 0.0, 0.0, "B", 200, 0.1, 3)
    assert again.equals(frame)  # the same strokes and seed: the same table


def test_a_box_brushes_points_inside_it_and_the_eraser_removes_exactly_those_inside():
    frame = paint.fill_box(paint.empty(), (-1.0, 1.0), (0.5, 2.0), "A", 50, seed=0)
    assert len(frame) == 50 and frame[X].between(-1, 1).all() and frame[Y].between(0.5, 2).all()
    frame = paint.add_at(frame, 2.5, -2.5, "B")
    kept = paint.erase_box(frame, (-1.0, 0.0), (0.5, 2.0))
    assert len(kept) == 50 - int((frame[X] <= 0).sum()) + 1
    assert paint.erase_near(kept, 2.5, -2.5, 0.1)[paint.CLASS].eq("A").all()


def test_points_stay_on_the_plane_and_noise_moves_every_point():
    frame = paint.add_at(paint.empty(), 9.0, -9.0, "A", count=3)  # a click past the edge lands on it
    assert frame[X].eq(paint.HIGH).all() and frame[Y].eq(paint.LOW).all()
    noisy = paint.add_noise(paint.add_at(paint.empty(), 0.0, 0.0, "A", 20), 0.2, seed=1)
    assert (noisy[[X, Y]] != 0).all().all() and noisy[[X, Y]].abs().max().max() < 1.5


def test_the_painted_table_becomes_a_dataset_with_its_target():
    frame = paint.add_at(paint.add_at(paint.empty(), -1, 0, "A", 5, 0.1), 1, 0, "B", 5, 0.1)
    dataset = paint.painted_dataset(frame, paint.CLASS)
    assert dataset.target == paint.CLASS and dataset.task is Task.CLASSIFICATION and dataset.n_rows == 10
    assert dataset.features == [X, Y]
    values = paint.add_at(paint.empty(paint.VALUE), 0, 0, 2.5, 4, 0.2)
    assert paint.painted_dataset(paint.add_at(values, 1, 1, 7.0, 4, 0.2), paint.VALUE).task is Task.REGRESSION


def test_one_class_too_few_points_or_too_many_are_plain_messages():
    with pytest.raises(TeachError, match="at least two points"):
        paint.painted_dataset(paint.add_at(paint.empty(), 0, 0, "A"), paint.CLASS)
    with pytest.raises(TeachError, match="All the points are of one class"):
        paint.painted_dataset(paint.add_at(paint.empty(), 0, 0, "A", 3, 0.1), paint.CLASS)
    many = paint.fill_box(paint.empty(), (0, 1), (0, 1), "A", paint.MAX_POINTS, seed=0)
    with pytest.raises(TeachError, match="at most"):
        paint.add_at(many, 0, 0, "B")
    assert np.isfinite(many[[X, Y]].to_numpy()).all()
