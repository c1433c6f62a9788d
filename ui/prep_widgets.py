"""Widgets for the preprocessing spec, one group per column type; every change goes to the workspace.

The widgets draw the workspace's `PrepSpec` and send each new value back through
`Workspace.configure`, so the spec survives page switches and a rejected value never lingers.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

import streamlit as st

from mlcore.train.prep_spec import (
    CATEGORICAL_IMPUTE,
    CLIPS,
    ENCODINGS,
    IMBALANCE,
    K_BEST_SCORES,
    NUMERIC_IMPUTE,
    SCALERS,
    PrepSpec,
)
from mlcore.train.transformers import DATE_PARTS
from mlcore.workspace import Workspace
from ui.state import synced


def with_value(prep: PrepSpec, path: str, value: Any) -> PrepSpec:
    """The spec with one field changed; `path` is "field" or "group.field" (e.g. "numeric.scale")."""
    group, _, name = path.partition(".")
    if not name:
        return replace(prep, **{group: value})
    return replace(prep, **{group: replace(getattr(prep, group), **{name: value})})


def _value(prep: PrepSpec, path: str) -> Any:
    group, _, name = path.partition(".")
    return getattr(getattr(prep, group), name) if name else getattr(prep, group)


def _sync(ws: Workspace, path: str, convert: Callable[[Any], Any] = lambda v: v) -> dict[str, Any]:
    """Widget arguments that store the widget's value at `path` ("path.on" names a second widget)."""
    field_path = path.removesuffix(".on")
    return synced(
        ws, f"prep.{path}", lambda v: ws.configure(prep=with_value(ws.prep, field_path, convert(v)))
    )


def _select(ws: Workspace, path: str, label: str, options: dict[str, str], help: str) -> str:
    keys = list(options)
    return st.selectbox(
        label,
        keys,
        index=keys.index(_value(ws.prep, path)),
        format_func=options.__getitem__,
        help=help,
        **_sync(ws, path),
    )


def _check(ws: Workspace, path: str, label: str, help: str) -> bool:
    return st.checkbox(label, value=bool(_value(ws.prep, path)), help=help, **_sync(ws, path))


def _optional(
    ws: Workspace,
    path: str,
    label: str,
    help: str,
    default: float,
    number: dict[str, Any],
    convert: Callable[[Any], Any] = lambda v: v,
) -> None:
    """A setting that is off (None) or a number: a checkbox, and the number while it is on."""
    current = _value(ws.prep, path)
    st.checkbox(
        label,
        value=current is not None,
        help=help,
        **_sync(ws, path + ".on", lambda on: default if on else None),
    )
    if current is not None:
        shown = type(number["min_value"])(current)  # in the widget's number type (PCA: 5 is shown as 5.0)
        st.number_input(
            label, value=shown, label_visibility="collapsed", **number, **_sync(ws, path, convert)
        )


def numbers(ws: Workspace) -> None:
    impute = _select(
        ws,
        "numeric.impute",
        "Fill missing numbers with",
        NUMERIC_IMPUTE,
        "Median is robust to outliers; k-nearest neighbours and iterative imputation guess each gap from "
        "similar rows or the other columns (slower).",
    )
    if impute == "constant":
        st.number_input(
            "Constant", value=float(ws.prep.numeric.fill_value), **_sync(ws, "numeric.fill_value")
        )
    _check(
        ws,
        "numeric.add_indicator",
        "Add a 'was missing' column",
        "Lets the model learn whether a value being missing is itself informative.",
    )
    clip = _select(
        ws,
        "numeric.clip",
        "Clip outliers",
        CLIPS,
        "Extreme values are pulled in to limits learned on the training rows: Tukey's fences "
        "(quartiles ± factor × IQR) or chosen quantiles.",
    )
    if clip == "iqr":
        st.number_input(
            "IQR factor", 0.5, 10.0, float(ws.prep.numeric.iqr_factor), 0.5, **_sync(ws, "numeric.iqr_factor")
        )
    elif clip == "quantile":
        st.slider(
            "Keep values between these quantiles",
            0.0,
            1.0,
            tuple(ws.prep.numeric.quantiles),
            0.01,
            **_sync(ws, "numeric.quantiles", tuple),
        )
    _check(
        ws,
        "numeric.power",
        "Power transform (Yeo-Johnson)",
        "Makes skewed columns more bell-shaped, which helps linear models and neural networks.",
    )
    _select(
        ws,
        "numeric.scale",
        "Scale",
        SCALERS,
        "Puts columns on comparable scales; needed by k-NN, SVMs, linear models and neural networks, "
        "harmless for trees. Robust scaling uses the median and IQR, so outliers matter less.",
    )


def categories(ws: Workspace) -> None:
    _select(
        ws,
        "categorical.impute",
        "Fill missing categories with",
        CATEGORICAL_IMPUTE,
        "A separate 'missing' level keeps the fact that the value was missing.",
    )
    encode = _select(
        ws,
        "categorical.encode",
        "Encode as",
        ENCODINGS,
        "One-hot makes a 0/1 column per level; ordinal numbers the levels (fine for trees); target "
        "encoding replaces each level by the target's mean for it, learned inside each fold.",
    )
    if encode == "target":
        return
    _optional(
        ws,
        "categorical.max_levels",
        "Limit the number of levels",
        "Only the most frequent levels get their own column; the rest are grouped as 'infrequent'. "
        "Without a limit a column with thousands of values makes thousands of columns.",
        20,
        {"min_value": 2, "max_value": 100_000, "step": 1},
    )
    _optional(
        ws,
        "categorical.min_frequency",
        "Group rare levels",
        "Levels seen in fewer training rows than this are grouped as 'infrequent'.",
        5,
        {"min_value": 1, "max_value": 1_000_000, "step": 1},
    )


def dates(ws: Workspace) -> None:
    st.multiselect(
        "Parts to extract from each date",
        list(DATE_PARTS),
        default=list(ws.prep.datetime.parts),
        format_func=DATE_PARTS.__getitem__,
        help="Models cannot use a date directly; its parts (year, month, day of week …) become numbers.",
        **_sync(ws, "datetime.parts", tuple),
    )
    if not ws.prep.datetime.parts:
        st.warning("Choose at least one part, or ignore the date columns on the Data page.")


def text(ws: Workspace) -> None:
    st.number_input(
        "Vocabulary size (most frequent words kept)",
        10,
        100_000,
        ws.prep.text.max_features,
        100,
        help="Each kept word becomes a TF-IDF column: how often it appears, weighted by how rare it is.",
        **_sync(ws, "text.max_features"),
    )
    st.selectbox(
        "Longest word sequence",
        [1, 2, 3],
        index=ws.prep.text.ngram_max - 1,
        format_func=lambda n: "single words" if n == 1 else f"up to {n} words in a row",
        help="Word pairs ('not good') capture some meaning single words miss, at the cost of more columns.",
        **_sync(ws, "text.ngram_max"),
    )


def whole_table(ws: Workspace, classification: bool) -> None:
    _optional(
        ws,
        "variance_threshold",
        "Drop near-constant features",
        "Features whose variance (after encoding and scaling) is at most this value carry almost no "
        "information.",
        0.0,
        {"min_value": 0.0, "step": 0.01, "format": "%g"},
    )
    _optional(
        ws,
        "k_best",
        "Keep only the k best features",
        "Scores each feature against the target on the training rows of each fold and keeps the best k.",
        10,
        {"min_value": 1, "step": 1},
    )
    if ws.prep.k_best is not None:
        _select(
            ws,
            "k_best_score",
            "Score features by",
            K_BEST_SCORES,
            "F-test finds straight-line links; mutual information also finds curved ones but is slower.",
        )
    _optional(
        ws,
        "pca_components",
        "Compress with PCA",
        "Replaces the features by fewer principal components. A whole number keeps that many "
        "components; a share below 1 (e.g. 0.95) keeps enough to explain that share of the variance.",
        0.95,
        {"min_value": 0.01, "step": 0.05, "format": "%g"},
        pca_value,
    )
    if classification:
        _select(
            ws,
            "imbalance",
            "Class imbalance",
            IMBALANCE,
            "Class weights make rare classes count more (models that take none get them oversampled "
            "instead); over-/under-sampling and SMOTE change the training rows of each fold only, never the "
            "validation or test rows.",
        )


def pca_value(value: float | None) -> int | float | None:
    """PCA takes a whole number of components or a variance share below 1."""
    if value is None or value < 1:
        return value
    return int(value)
