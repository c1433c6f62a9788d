"""Every alert: one small frame that makes it fire, one that keeps it silent."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from mlcore.data.loading import load_path
from mlcore.dataset import build_dataset
from mlcore.explore.alerts import DEFAULT_THRESHOLDS, AlertKind, AlertThresholds, Severity, find_alerts
from mlcore.explore.overview import compute_overview
from mlcore.explore.target_view import rank_features

N = 200


def rng(seed: int = 0) -> np.random.Generator:
    """A fresh generator per use, so no test depends on which tests ran before it."""
    return np.random.default_rng(seed)


def alerts_for(frame: pd.DataFrame, target: str | None = None, thresholds=DEFAULT_THRESHOLDS):
    dataset = build_dataset(frame, name="t", source="test", content_hash="h", target=target)
    view = rank_features(dataset) if dataset.target else None
    return find_alerts(dataset, compute_overview(dataset), view, thresholds)


def fired(frame: pd.DataFrame, kind: AlertKind, column: str | None, target: str | None = None) -> bool:
    return any(a.kind is kind and a.column == column for a in alerts_for(frame, target))


def with_noise(**columns) -> pd.DataFrame:
    return pd.DataFrame({"noise": rng(99).normal(size=N), **columns})


def test_constant():
    assert fired(with_noise(c=["same"] * N), AlertKind.CONSTANT, "c")
    assert not fired(with_noise(c=["a", "b"] * (N // 2)), AlertKind.CONSTANT, "c")


def test_near_constant():
    assert fired(with_noise(c=["a"] * (N - 2) + ["b"] * 2), AlertKind.NEAR_CONSTANT, "c")
    assert not fired(with_noise(c=["a"] * (N - 20) + ["b"] * 20), AlertKind.NEAR_CONSTANT, "c")


def test_high_share_missing():
    values = [np.nan] * 80 + [1.0] * (N - 80)
    assert fired(with_noise(m=values), AlertKind.HIGH_MISSING, "m")
    few = [np.nan] * 10 + [1.0, 2.0] * ((N - 10) // 2)
    assert not fired(with_noise(m=few), AlertKind.HIGH_MISSING, "m")


def test_missing_values():
    [alert] = [a for a in alerts_for(with_noise(m=[np.nan] + [1.0, 2.0] * 99 + [3.0])) if a.column == "m"]
    assert (alert.kind, alert.severity, alert.value) == (AlertKind.MISSING, Severity.INFO, 1 / N)
    assert "1 missing value" in alert.title and alert.fix
    assert not fired(with_noise(m=[1.0, 2.0] * (N // 2)), AlertKind.MISSING, "m")


def test_missing_target_is_a_warning():
    frame = with_noise(y=[None, *(["a", "b"] * 99), "a"])
    [alert] = [a for a in alerts_for(frame, "y") if a.column == "y"]
    assert (alert.kind, alert.severity) == (AlertKind.MISSING, Severity.WARNING)


def test_high_cardinality():
    many = [f"town {i % 60}" for i in range(N)]
    assert fired(with_noise(town=many), AlertKind.HIGH_CARDINALITY, "town")
    assert not fired(
        with_noise(town=[f"town {i % 10}" for i in range(N)]), AlertKind.HIGH_CARDINALITY, "town"
    )


def test_identifier_like():
    codes = [f"C-{i:05d}" for i in range(N)]
    [alert] = [a for a in alerts_for(with_noise(code=codes)) if a.kind is AlertKind.IDENTIFIER]
    assert (alert.column, alert.severity) == ("code", Severity.INFO)  # the schema already ignores it
    [counter] = [a for a in alerts_for(with_noise(row=np.arange(N) + 1)) if a.kind is AlertKind.IDENTIFIER]
    assert (counter.column, counter.severity) == ("row", Severity.INFO)  # a row number: already ignored
    shuffled = rng().permutation(N) + 1  # no longer in row order, so still used as a feature
    [counter] = [a for a in alerts_for(with_noise(row=shuffled)) if a.kind is AlertKind.IDENTIFIER]
    assert (counter.column, counter.severity) == ("row", Severity.WARNING)
    assert not fired(with_noise(), AlertKind.IDENTIFIER, "noise")  # unique floats are measurements


def test_duplicate_rows():
    frame = with_noise(c=["a", "b"] * (N // 2))
    doubled = pd.concat([frame, frame.iloc[:10]], ignore_index=True)
    [alert] = [a for a in alerts_for(doubled) if a.kind is AlertKind.DUPLICATE_ROWS]
    assert alert.column is None and alert.value == pytest.approx(10 / (N + 10))
    assert not fired(frame, AlertKind.DUPLICATE_ROWS, None)


def test_strong_skew():
    assert fired(with_noise(income=rng().lognormal(sigma=1.5, size=N)), AlertKind.SKEWED, "income")
    assert not fired(with_noise(height=rng().normal(170, 10, N)), AlertKind.SKEWED, "height")
    calm = AlertThresholds(skew=100)
    frame = with_noise(income=rng().lognormal(sigma=1.5, size=N))
    assert not any(a.kind is AlertKind.SKEWED for a in alerts_for(frame, thresholds=calm))


def test_outliers():
    typos = rng().normal(170, 10, N)
    typos[:3] = 1700  # height typed in millimetres
    [alert] = [a for a in alerts_for(with_noise(height=typos)) if a.kind is AlertKind.OUTLIERS]
    assert alert.column == "height" and "3 outlier" in alert.title
    assert not fired(with_noise(height=rng().normal(170, 10, N)), AlertKind.OUTLIERS, "height")
    # a long tail that is the shape of the data (lopsided quartiles) is reported as skew instead
    assert not fired(with_noise(income=rng().lognormal(sigma=1.5, size=N)), AlertKind.OUTLIERS, "income")


def test_mixed_types():
    labels = ["small", "large", "12", "15"] * (N // 4)
    assert fired(with_noise(size=labels), AlertKind.MIXED_TYPES, "size")
    assert not fired(with_noise(size=["small", "large"] * (N // 2)), AlertKind.MIXED_TYPES, "size")


def test_mixed_types_reported_when_loading_turned_text_into_missing(bad_dir):
    dataset = load_path(bad_dir / "mixed_types.csv")
    alerts = find_alerts(dataset, compute_overview(dataset))
    assert [(a.kind, a.column) for a in alerts if a.kind is AlertKind.MIXED_TYPES] == [
        (AlertKind.MIXED_TYPES, "age")
    ]


def test_mixed_types_counts_the_text_cells_read_as_missing(tmp_path):
    path = tmp_path / "sizes.csv"
    path.write_text(
        "size,noise\n" + "".join(f"{v},{i}\n" for i, v in enumerate([1, 2, "big", 4, 5, "n.a.", 7, 8]))
    )
    dataset = load_path(path)
    assert dataset.coerced_cells == (("size", 2),)
    [alert] = [a for a in find_alerts(dataset, compute_overview(dataset)) if a.kind is AlertKind.MIXED_TYPES]
    assert (alert.column, alert.value, alert.severity) == ("size", 2.0, Severity.WARNING)
    assert alert.title == "'size' mixed numbers and text"
    assert alert.explanation.startswith("2 cell(s) held text in a column of numbers")


def test_mixed_types_alert_comes_from_the_counts_not_the_notes():
    frame = with_noise(size=rng().normal(size=N))
    counted = build_dataset(frame, name="t", source="test", content_hash="h", coerced_cells={"size": 1234})
    [alert] = [a for a in find_alerts(counted, compute_overview(counted)) if a.kind is AlertKind.MIXED_TYPES]
    assert (alert.column, alert.value) == ("size", 1234.0) and alert.explanation.startswith("1,234 cell(s)")
    noted = build_dataset(
        frame, name="t", source="test", content_hash="h", notes=["'size': 3 non-numeric cell(s) ('x')."]
    )
    assert not fired(frame, AlertKind.MIXED_TYPES, "size")
    assert not [a for a in find_alerts(noted, compute_overview(noted)) if a.kind is AlertKind.MIXED_TYPES]


def test_class_imbalance():
    [alert] = [
        a
        for a in alerts_for(with_noise(y=["ok"] * 180 + ["fraud"] * 20), "y")
        if a.kind is AlertKind.CLASS_IMBALANCE
    ]
    assert alert.value == pytest.approx(9.0) and "'fraud'" in alert.explanation
    assert not fired(with_noise(y=["a"] * 120 + ["b"] * 80), AlertKind.CLASS_IMBALANCE, "y", target="y")


def test_target_leakage_fires_on_a_copy_of_the_target():
    y = rng().choice(["yes", "no"], N)
    frame = with_noise(y=y, answer=y)
    [alert] = [a for a in alerts_for(frame, "y") if a.kind is AlertKind.TARGET_LEAKAGE]
    assert (alert.column, alert.severity, alert.value) == ("answer", Severity.WARNING, 1.0)
    assert alerts_for(frame, "y")[0].kind is AlertKind.TARGET_LEAKAGE  # the most serious comes first
    assert not fired(with_noise(y=y), AlertKind.TARGET_LEAKAGE, "noise", target="y")


def test_target_leakage_by_correlation_for_a_numeric_target():
    price = rng().normal(100, 15, N)
    frame = with_noise(price=price, price_in_cents=price * 100 + rng(1).normal(0, 1, N))
    assert fired(frame, AlertKind.TARGET_LEAKAGE, "price_in_cents", target="price")
    honest = with_noise(price=price, size=price + rng(2).normal(0, 15, N))
    assert not fired(honest, AlertKind.TARGET_LEAKAGE, "size", target="price")


def test_warnings_come_first():
    frame = with_noise(c=["same"] * N, m=[np.nan] + [1.0] * (N - 1))
    severities = [a.severity for a in alerts_for(frame)]
    assert severities == sorted(severities, key=lambda s: s is not Severity.WARNING)
    assert severities[0] is Severity.WARNING
