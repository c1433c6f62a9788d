"""Model choice and per-model settings, generated from the registry's `ModelSpec`s and `HyperParam`s.

Each hyperparameter becomes the widget its kind calls for, with its range and plain-language help;
super-linear models show their cost estimate and the sample cap with an option to lift it.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import streamlit as st

from mlcore.dataset import Dataset
from mlcore.markup import markdown_text
from mlcore.train.models import HyperParam, ModelSpec, cost_warning, default_set, models_for
from mlcore.train.pipeline_description import prep_notes
from mlcore.workspace import Workspace
from ui.state import synced

BUDGETS = (None, 5, 10, 30, 60, 120, 300, 600)

MODELS_KEY = "train_models"


def _range_text(hp: HyperParam) -> str:
    if hp.kind in ("int", "float") and hp.low is not None and hp.high is not None:
        default = hp.none_label if hp.default is None else hp.default
        return f" Range {hp.low:g} to {hp.high:g}; default {default}."
    return f" Default: {hp.default}."


def _step(hp: HyperParam, value: float) -> float:
    """A step that moves the value noticeably: a tenth of its order of magnitude on log scales."""
    if hp.log and value:
        step = 10 ** math.floor(math.log10(abs(value))) / 10
    else:
        step = 10 ** math.floor(math.log10((hp.high - hp.low) / 20)) if hp.high > hp.low else 1
    return max(1, round(step)) if hp.kind == "int" else step


def _enabled_value(hp: HyperParam) -> int | float:
    """The value a "no limit" parameter gets when a limit is switched on: the middle of its range."""
    middle = math.sqrt(hp.low * hp.high) if hp.low > 0 else (hp.low + hp.high) / 2
    return round(middle) if hp.kind == "int" else middle


def param_widget(ws: Workspace, spec: ModelSpec, hp: HyperParam, value: Any) -> None:
    """One widget for one model hyperparameter; its new value goes to the workspace."""
    name = f"param.{spec.task.value}.{spec.key}.{hp.name}"
    hyperparam_widget(ws, hp, value, name, lambda v: set_param(ws, spec, hp.name, v))


def hyperparam_widget(
    ws: Workspace, hp: HyperParam, value: Any, name: str, apply: Callable[[Any], None]
) -> None:
    """The widget a setting's kind calls for (any `HyperParam`: a model's, a clustering's), with its
    range and plain-language help; its new value goes to `apply`."""
    help = hp.help + _range_text(hp)

    def sync(suffix: str = "", convert: Any = lambda v: v) -> dict[str, Any]:
        return synced(ws, name + suffix, lambda v: apply(convert(v)))

    if hp.kind == "bool":
        st.checkbox(hp.label, value=bool(value), help=help, **sync())
        return
    if hp.kind == "choice":
        choices = list(hp.choices)
        st.selectbox(hp.label, choices, index=choices.index(value), help=help, **sync())
        return
    if hp.none_label is not None:
        st.checkbox(
            f"{hp.label}: {hp.none_label}",
            value=value is None,
            help=help,
            **sync(".none", lambda off: None if off else _enabled_value(hp)),
        )
        if value is None:
            return
    cast = int if hp.kind == "int" else float
    st.number_input(
        hp.label,
        cast(hp.low),
        cast(hp.high),
        cast(value),
        step=cast(_step(hp, value)),
        format=None if hp.kind == "int" else "%g",
        help=help,
        label_visibility="collapsed" if hp.none_label else "visible",
        **sync(),
    )


def overrides(ws: Workspace, spec: ModelSpec) -> dict[str, Any]:
    return ws.model_params.get((spec.task.value, spec.key), {})


def set_param(ws: Workspace, spec: ModelSpec, name: str, value: Any) -> None:
    """Store the values that differ from the defaults (the run's label lists exactly those)."""
    values = {**overrides(ws, spec), name: value}
    defaults = spec.defaults()
    changed = {k: v for k, v in values.items() if defaults.get(k) != v}
    ws.configure(model_params={**ws.model_params, (spec.task.value, spec.key): changed})


def model_settings(ws: Workspace, dataset: Dataset, spec: ModelSpec) -> None:
    """Description, cost warning with the sample cap, notes, and the hyperparameter widgets."""
    st.caption(spec.description)
    rows = round(dataset.n_rows * (1 - ws.split.test_size))
    warning = cost_warning(spec, rows, len(dataset.features), max(ws.split.cv_folds, 1))
    if warning is not None:
        st.warning(warning.message, icon=":material/timer:")
        st.checkbox(
            f"Train {spec.name} on all {rows:,} training rows (slower)",
            value=spec.key in ws.uncapped,
            **synced(ws, f"uncap.{spec.key}", lambda v: _set_uncapped(ws, spec.key, v)),
        )
    for note in prep_notes(dataset, ws.train_request(()).prep, spec.key):
        st.caption(markdown_text(note))
    values = spec.resolve(overrides(ws, spec))
    columns = st.columns(2)
    for i, hp in enumerate(spec.params):
        with columns[i % 2]:
            param_widget(ws, spec, hp, values[hp.name])
    changed = overrides(ws, spec)
    if changed:
        st.caption(
            "Changed from the defaults: "
            + ", ".join(f"{spec.param(k).label} = {v}" for k, v in changed.items())
        )
        st.button(
            "Reset to defaults",
            key=f"reset.{spec.key}@{ws.revision}",
            on_click=lambda: ws.configure(model_params={**ws.model_params, (spec.task.value, spec.key): {}}),
        )


def _set_uncapped(ws: Workspace, key: str, lifted: bool) -> None:
    ws.configure(uncapped=ws.uncapped | {key} if lifted else ws.uncapped - {key})


def model_chooser(ws: Workspace, dataset: Dataset) -> list[ModelSpec]:
    """Choose one, several or all models; each chosen model gets an expander with its settings."""
    specs = {m.key: m for m in models_for(dataset.task)}
    everything = default_set(dataset.task)
    st.radio(
        "Models to train",
        [False, True],
        index=int(ws.compare_all),
        format_func=lambda all_: f"Compare all ({len(everything)})" if all_ else "Choose models",
        horizontal=True,
        **synced(ws, "compare_all", lambda v: ws.configure(compare_all=v)),
    )
    if ws.compare_all:
        chosen = everything
    else:
        # A fixed key, unlike the other settings: a new widget after each pick would close the list
        # the user is picking from. The workspace's choice is written into it when they differ.
        if st.session_state.get(MODELS_KEY) != (wanted := [k for k in ws.model_keys if k in specs]):
            st.session_state[MODELS_KEY] = wanted
        st.multiselect(
            "Models",
            list(specs),
            format_func=lambda k: specs[k].name,
            placeholder="Choose one or more models",
            key=MODELS_KEY,
            on_change=lambda: ws.configure(model_keys=tuple(st.session_state[MODELS_KEY])),
        )
        chosen = [k for k in ws.model_keys if k in specs]
    for key in chosen:
        with st.expander(specs[key].name):  # a fixed label: the expander stays open while editing
            model_settings(ws, dataset, specs[key])
    return [specs[k] for k in chosen]


def budget_input(ws: Workspace) -> None:
    options = sorted({*BUDGETS, ws.time_budget}, key=lambda b: -1 if b is None else b)
    st.selectbox(
        "Time budget per model",
        options,
        index=options.index(ws.time_budget),
        format_func=lambda b: "no limit" if b is None else f"{b:g} s",
        help="A model still training after this many seconds is stopped and marked 'timed out'; the "
        "other models carry on.",
        **synced(ws, "time_budget", lambda v: ws.configure(time_budget=v)),
    )
