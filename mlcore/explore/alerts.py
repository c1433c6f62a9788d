"""Data-quality alerts: what is wrong with a table, why it matters, and what to do about it.

Each alert is read off the overview (and, when a target is chosen, off the target view), so finding
them costs nothing on top of the statistics. Thresholds live in one `AlertThresholds` object so a
teacher can see, and a test can pin, exactly when an alert fires.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

import pandas as pd

from mlcore.dataset import Dataset
from mlcore.explore.overview import ColumnSummary, Overview
from mlcore.explore.target_view import FeatureRelation, TargetView
from mlcore.metrics import IMBALANCE_RATIO
from mlcore.schema import ColumnType, Role, Task


class Severity(StrEnum):
    WARNING = "warning"  # likely to hurt a model or mislead a reader
    INFO = "info"  # worth knowing; often handled automatically later


class AlertKind(StrEnum):
    TARGET_LEAKAGE = "target leakage"
    CONSTANT = "constant"
    NEAR_CONSTANT = "near-constant"
    HIGH_MISSING = "high share missing"
    MISSING = "missing values"
    IDENTIFIER = "identifier-like"
    HIGH_CARDINALITY = "high cardinality"
    DUPLICATE_ROWS = "duplicate rows"
    MIXED_TYPES = "mixed types"
    CLASS_IMBALANCE = "class imbalance"
    SKEWED = "strong skew"
    OUTLIERS = "outliers"


@dataclass(frozen=True)
class Alert:
    """One finding: what, where, why it matters and what to do."""

    kind: AlertKind
    severity: Severity
    column: str | None  # None for alerts about the whole table
    title: str
    explanation: str
    fix: str
    value: float  # the measured figure the alert is about (a share, a count, a score…)


@dataclass(frozen=True)
class AlertThresholds:
    """When each alert fires."""

    near_constant_share: float = 0.98  # one value takes at least this share of the non-missing cells
    high_missing_share: float = 0.30
    high_cardinality: int = 50  # distinct labels in a categorical column
    skew: float = 2.0  # absolute skewness
    outlier_share: float = 0.05  # beyond 1.5·IQR (a normal distribution has 0.7 %)
    far_outlier_share: float = 0.001  # beyond 3·IQR (a normal distribution has 0.0002 %)
    quartile_skew: float = 0.2  # above this, outliers are read as a skewed shape instead
    imbalance_ratio: float = IMBALANCE_RATIO  # largest class / smallest class (the leaderboard's rule too)
    leakage_score: float = 0.98  # held-out score of a one-feature model
    leakage_correlation: float = 0.95  # absolute correlation with a numeric or two-class target
    sorted_rows_score: float = 0.9  # each row's target predicted by the previous row's: rows in target order
    min_rows_for_identifier: int = 20


DEFAULT_THRESHOLDS = AlertThresholds()
_ORDER = {kind: i for i, kind in enumerate(AlertKind)}


def find_alerts(
    dataset: Dataset,
    overview: Overview,
    target_view: TargetView | None = None,
    thresholds: AlertThresholds = DEFAULT_THRESHOLDS,
) -> list[Alert]:
    """All alerts for the dataset, warnings first. Target alerts need the target view."""
    alerts: list[Alert] = []
    t = thresholds
    for column in overview.columns:
        alerts += _column_alerts(column, overview.dataset.rows, t)
    alerts += _duplicate_alert(overview)
    alerts += _mixed_type_alerts(dataset, overview)
    if dataset.target is not None and dataset.task is Task.CLASSIFICATION:
        alerts += _imbalance_alert(dataset.frame[dataset.target], t)
    if target_view is not None:
        alerts += _leakage_alerts(target_view, t)
    return sorted(alerts, key=lambda a: (a.severity is not Severity.WARNING, _ORDER[a.kind]))


def _column_alerts(c: ColumnSummary, rows: int, t: AlertThresholds) -> list[Alert]:
    alerts = _missing_alerts(c, t)
    if c.count == 0:
        return alerts
    is_target = c.role is Role.TARGET
    if c.distinct == 1 and not is_target:
        alerts.append(
            Alert(
                AlertKind.CONSTANT,
                Severity.WARNING,
                c.name,
                f"'{c.name}' has the same value on every row",
                f"Every value of '{c.name}' is {c.top[0][0]!r}; a column that never changes cannot help "
                "predict anything.",
                "Ignore this column on the Data page.",
                1.0,
            )
        )
    elif c.distinct > 1 and c.top_share >= t.near_constant_share and not is_target:
        value, count = c.top[0]
        alerts.append(
            Alert(
                AlertKind.NEAR_CONSTANT,
                Severity.INFO,
                c.name,
                f"'{c.name}' is almost constant",
                f"{c.top_share:.1%} of its values are {value!r}; only {c.count - count:,} row(s) differ, "
                "so it carries very little information and a random split may leave those rows all on "
                "one side.",
                "Ignore it unless the rare values matter (for example a rare but meaningful flag).",
                c.top_share,
            )
        )
    alerts += _identifier_alert(c, rows, t)
    if c.ctype is ColumnType.CATEGORICAL and c.distinct > t.high_cardinality and not is_target:
        alerts.append(
            Alert(
                AlertKind.HIGH_CARDINALITY,
                Severity.WARNING,
                c.name,
                f"'{c.name}' has {c.distinct:,} different labels",
                f"One-hot encoding would turn it into {c.distinct:,} columns, most of them for labels seen "
                "only a few times, which slows training and invites overfitting.",
                "Group the rare labels into 'other', use an ordinal or target encoding, or ignore it.",
                float(c.distinct),
            )
        )
    if c.numeric is not None and c.ctype is ColumnType.NUMERIC and c.distinct > 2:
        alerts += _shape_alerts(c, t)
    return alerts


def _missing_alerts(c: ColumnSummary, t: AlertThresholds) -> list[Alert]:
    if not c.missing:
        return []
    share = c.missing_share
    if c.role is Role.TARGET:
        return [
            Alert(
                AlertKind.MISSING,
                Severity.WARNING,
                c.name,
                f"The target '{c.name}' is missing on {c.missing:,} row(s)",
                f"{share:.1%} of the rows have no answer to learn from.",
                "Those rows are left out of training and evaluation; check why the answers are missing.",
                share,
            )
        ]
    if share >= t.high_missing_share:
        return [
            Alert(
                AlertKind.HIGH_MISSING,
                Severity.WARNING,
                c.name,
                f"'{c.name}' is missing on {share:.0%} of the rows",
                f"{c.missing:,} of {c.rows:,} values are missing; filling in that many values invents "
                "much of the column.",
                "Ignore the column, or keep it with a 'was missing' indicator if the absence itself means "
                "something.",
                share,
            )
        ]
    return [
        Alert(
            AlertKind.MISSING,
            Severity.INFO,
            c.name,
            f"'{c.name}' has {c.missing:,} missing value(s) ({share:.1%})",
            "Most models cannot use a row with a missing value as it is.",
            "Let the preparation step fill them in (median for numbers, most frequent label for "
            "categories), or drop those rows if there are few.",
            share,
        )
    ]


def _identifier_alert(c: ColumnSummary, rows: int, t: AlertThresholds) -> list[Alert]:
    unique_per_row = rows >= t.min_rows_for_identifier and c.missing == 0 and c.distinct == rows
    row_counter = (
        unique_per_row
        and c.numeric is not None
        and float(c.numeric.max - c.numeric.min) == rows - 1
        and c.numeric.min == round(c.numeric.min)
    )
    if not (c.ctype is ColumnType.IDENTIFIER or row_counter):
        return []
    used = c.role is Role.FEATURE
    return [
        Alert(
            AlertKind.IDENTIFIER,
            Severity.WARNING if used else Severity.INFO,
            c.name,
            f"'{c.name}' looks like an identifier",
            "It has a different value on every row (a row number, code or name), so a model can only "
            "memorise it; it tells nothing about new rows." + ("" if used else " It is already ignored."),
            "Ignore it on the Data page." if used else "Nothing to do: keep it ignored.",
            1.0,
        )
    ]


def _shape_alerts(c: ColumnSummary, t: AlertThresholds) -> list[Alert]:
    stats = c.numeric
    alerts = []
    if abs(stats.skew) >= t.skew:
        side = (
            "right (a long tail of large values)" if stats.skew > 0 else "left (a long tail of small values)"
        )
        alerts.append(
            Alert(
                AlertKind.SKEWED,
                Severity.INFO,
                c.name,
                f"'{c.name}' is strongly skewed (skew {stats.skew:.1f})",
                f"Its values pile up on one side with a tail to the {side}; linear models and distances "
                "are dominated by the tail.",
                "Try a log transform (for positive values) or a quantile/robust scaler; tree models do "
                "not mind.",
                stats.skew,
            )
        )
    iqr = stats.q3 - stats.q1
    share, far_share = stats.outliers / c.count, stats.far_outliers / c.count
    # When the middle half is itself lopsided (Bowley's quartile skewness), a long tail is the shape of
    # the data, not a few stray values: the skew alert covers it.
    lopsided = iqr > 0 and abs(stats.q3 + stats.q1 - 2 * stats.median) / iqr >= t.quartile_skew
    if iqr > 0 and not lopsided and (share > t.outlier_share or far_share > t.far_outlier_share):
        low, high = stats.fences
        alerts.append(
            Alert(
                AlertKind.OUTLIERS,
                Severity.INFO,
                c.name,
                f"'{c.name}' has {stats.outliers:,} outlier(s) ({share:.1%})",
                f"By the IQR rule, values below {low:.4g} or above {high:.4g} are unusual "
                f"({stats.far_outliers:,} of them are far out, beyond 3×IQR). They may be typing or "
                "unit errors, or genuine extremes.",
                "Check a few of them; fix errors at the source, or clip or use a robust scaler.",
                share,
            )
        )
    return alerts


def _duplicate_alert(overview: Overview) -> list[Alert]:
    summary = overview.dataset
    if not summary.duplicate_rows:
        return []
    share = summary.duplicate_rows / summary.rows
    return [
        Alert(
            AlertKind.DUPLICATE_ROWS,
            Severity.WARNING,
            None,
            f"{summary.duplicate_rows:,} duplicate row(s) ({share:.1%})",
            "These rows repeat an earlier row exactly. Copies can land in both the training and the test "
            "part, which makes the test score look better than it is.",
            "Remove the duplicates unless they are genuine repeated observations.",
            share,
        )
    ]


def _mixed_type_alerts(dataset: Dataset, overview: Overview) -> list[Alert]:
    alerts = [
        Alert(
            AlertKind.MIXED_TYPES,
            Severity.WARNING,
            column,
            f"'{column}' mixed numbers and text",
            f"{count:,} cell(s) held text in a column of numbers; they were read as missing values.",
            "Correct those cells in the file (a number, or an empty cell), then load it again.",
            float(count),
        )
        for column, count in dataset.coerced_cells
    ]
    for c in overview.columns:
        mixed_python = "str" in c.value_kinds and len(c.value_kinds) > 1
        numbers_as_labels = c.ctype is ColumnType.CATEGORICAL and 0 < c.numeric_text_share < 1
        if mixed_python or numbers_as_labels:
            share = c.numeric_text_share
            alerts.append(
                Alert(
                    AlertKind.MIXED_TYPES,
                    Severity.WARNING,
                    c.name,
                    f"'{c.name}' mixes numbers and text",
                    f"{share:.0%} of its values are numbers and the rest text, so it is read as labels and "
                    "every number becomes a separate category.",
                    "If it should be numeric, fix the text cells in the file; if it is a label, make the "
                    "numbers labels too.",
                    share,
                )
            )
    return alerts


def _imbalance_alert(target: pd.Series, t: AlertThresholds) -> list[Alert]:
    counts = target.value_counts()
    if len(counts) < 2:
        return []
    ratio = counts.iloc[0] / counts.iloc[-1]
    if ratio < t.imbalance_ratio:
        return []
    rare, share = counts.index[-1], counts.iloc[-1] / counts.sum()
    return [
        Alert(
            AlertKind.CLASS_IMBALANCE,
            Severity.WARNING,
            str(target.name),
            f"The classes of '{target.name}' are imbalanced ({ratio:.0f} : 1)",
            f"The rarest class {rare!r} is only {share:.1%} of the rows. A model that always predicts "
            f"{counts.index[0]!r} already scores {counts.iloc[0] / counts.sum():.0%} accuracy, so accuracy "
            "hides how badly the rare class is found.",
            "Judge models by balanced accuracy (the leaderboard ranks by it here), F1 or recall of the rare "
            "class; split with stratification; try class weights.",
            float(ratio),
        )
    ]


def _leakage_alerts(view: TargetView, t: AlertThresholds) -> list[Alert]:
    sorted_rows = view.row_order_score is not None and view.row_order_score >= t.sorted_rows_score
    alerts = []
    for relation in view.relations:
        if sorted_rows and relation.row_direction:
            alerts.append(_row_order_alert(view, relation))
            continue
        by_score = relation.score is not None and relation.score >= t.leakage_score
        by_correlation = relation.correlation is not None and abs(relation.correlation) >= (
            t.leakage_correlation
        )
        if not (by_score or by_correlation):
            continue
        evidence = []
        if by_score:
            evidence.append(
                f"on its own it predicts '{view.target}' with {view.score_name} {relation.score:.3f} on "
                "rows it was not fitted on"
            )
        if by_correlation:
            evidence.append(f"its correlation with '{view.target}' is {relation.correlation:.3f}")
        alerts.append(
            Alert(
                AlertKind.TARGET_LEAKAGE,
                Severity.WARNING,
                relation.column,
                f"Suspected target leakage: '{relation.column}'",
                f"{' and '.join(evidence).capitalize()}. A single column that good usually holds the answer "
                "itself (a copy, a recoding, or something measured after the outcome), which would not be "
                "known when predicting.",
                "Check how this column is produced; if it is not available at prediction time, ignore it.",
                float(relation.score if by_score else abs(relation.correlation)),
            )
        )
    return alerts


def _row_order_alert(view: TargetView, relation: FeatureRelation) -> Alert:
    """A feature that counts with the rows of a table in target order: it predicts by position alone."""
    name, target = relation.column, view.target
    way = "up" if relation.row_direction > 0 else "down"
    return Alert(
        AlertKind.TARGET_LEAKAGE,
        Severity.WARNING,
        name,
        f"Suspected target leakage through the row order: '{name}'",
        f"The rows look sorted by '{target}', and '{name}' counts {way} with the rows: it predicts "
        f"'{target}' only through the file's order. Each row's '{target}' is predicted by the row before "
        f"it with {view.score_name} {view.row_order_score:.3f}, so a column that tells where a row sits "
        "tells its answer too; new rows have no such place.",
        f"Ignore '{name}' on the Data page: a row number, running id or recording time only says where a "
        "row sits in this file. Shuffled or new rows would not follow that order.",
        float(view.row_order_score),
    )
