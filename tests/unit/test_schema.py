"""Column types, roles and task inference, with the rules checked on small hand-made frames."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from mlcore.dataset import build_dataset, hash_frame, set_role, set_target, set_task, set_type
from mlcore.errors import SchemaError, TargetError
from mlcore.schema import ColumnType, Role, Task, infer_columns, infer_task, validate_target


def _dataset(frame: pd.DataFrame, target: str | None = None):
    return build_dataset(frame, name="t", source="test", content_hash=hash_frame(frame), target=target)


def test_each_type_is_inferred_with_a_reason():
    n = 30
    frame = pd.DataFrame(
        {
            "customer_id": range(100, 100 + n),
            "code": [f"C{i:04d}" for i in range(n)],
            "age": np.linspace(20, 60, n),
            "city": ["Paris", "Lyon", "Nice"] * 10,
            "active": [True, False] * 15,
            "joined": pd.date_range("2024-01-01", periods=n),
            "review": [f"this product was really quite good number {i}" for i in range(n)],
        }
    )
    types = {c.name: c.ctype for c in infer_columns(frame)}
    assert types == {
        "customer_id": ColumnType.IDENTIFIER,
        "code": ColumnType.IDENTIFIER,
        "age": ColumnType.NUMERIC,
        "city": ColumnType.CATEGORICAL,
        "active": ColumnType.BOOLEAN,
        "joined": ColumnType.DATETIME,
        "review": ColumnType.TEXT,
    }
    roles = {c.name: c.role for c in infer_columns(frame)}
    assert roles["customer_id"] is Role.IGNORE and roles["review"] is Role.FEATURE
    counts = {c.name: (c.n_missing, c.n_unique) for c in infer_columns(frame)}
    assert counts["city"] == (0, 3)


def test_a_consecutive_integer_feature_out_of_row_order_is_not_mistaken_for_an_id():
    frame = pd.DataFrame({"f1": np.random.default_rng(0).permutation(50), "y": [0, 1] * 25})
    assert infer_columns(frame)[0].ctype is ColumnType.NUMERIC


@pytest.mark.parametrize(
    ("values", "task", "rule"),
    [
        (["a", "b", "a"], Task.CLASSIFICATION, "labels"),
        ([0, 1, 2, 1] * 3, Task.CLASSIFICATION, "3 consecutive whole numbers"),
        (list(range(25)), Task.REGRESSION, "25 distinct values"),
        ([0.5, 1.25, 3.0], Task.REGRESSION, "numbers"),
        ([True, False, True], Task.CLASSIFICATION, "labels"),
    ],
)
def test_task_rule(values, task, rule):
    inferred, text = infer_task(pd.Series(values, name="y"))
    assert inferred is task
    assert rule in text


def test_continuous_target_refused_for_classification():
    target = pd.Series(np.linspace(0, 1, 100), name="price")
    with pytest.raises(TargetError, match="continuous"):
        validate_target(target, Task.CLASSIFICATION)
    validate_target(target, Task.REGRESSION)


def test_labels_refused_for_regression():
    with pytest.raises(TargetError, match="regression"):
        validate_target(pd.Series(["a", "b"], name="y"), Task.REGRESSION)


def test_target_role_and_task_override():
    frame = pd.DataFrame({"x": np.arange(40.0), "grade": [1, 2, 3, 4] * 10})
    dataset = _dataset(frame, target="grade")
    assert dataset.task is Task.CLASSIFICATION
    assert dataset.column("grade").role is Role.TARGET
    assert dataset.features == ["x"]
    regression = set_task(dataset, Task.REGRESSION)
    assert regression.task is Task.REGRESSION
    assert "you chose regression" in regression.task_rule
    moved = set_target(dataset, "x")
    assert moved.column("grade").role is Role.FEATURE
    assert moved.task is Task.REGRESSION
    assert moved.features == ["grade"]


def test_roles_and_types_can_be_overridden():
    frame = pd.DataFrame({"id": range(30), "zip": [75001, 69001, 6000] * 10, "y": ["a", "b", "c"] * 10})
    dataset = _dataset(frame, target="y")
    assert dataset.features == ["zip"]
    dataset = set_role(dataset, "id", Role.FEATURE)
    assert dataset.features == ["id", "zip"]
    dataset = set_type(dataset, "zip", ColumnType.CATEGORICAL)
    assert dataset.column("zip").ctype is ColumnType.CATEGORICAL
    assert "set by you" in dataset.column("zip").reason
    dataset = set_type(dataset, "zip", ColumnType.IDENTIFIER)
    assert dataset.column("zip").role is Role.IGNORE
    with pytest.raises(SchemaError, match="holds text"):
        set_type(dataset, "y", ColumnType.NUMERIC)
    untargeted = set_role(dataset, "y", Role.IGNORE)
    assert untargeted.target is None and untargeted.column("y").role is Role.IGNORE


def test_unknown_column_is_a_schema_error():
    with pytest.raises(SchemaError, match="no column named 'nope'"):
        _dataset(pd.DataFrame({"a": [1, 2]})).column("nope")


def test_a_target_named_column_is_preselected_by_priority():
    frame = pd.DataFrame({"y": [1.0, 2.5, 3.5], "label": ["a", "b", "a"]})
    assert _dataset(frame).target == "label"
