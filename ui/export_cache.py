"""Cached bundle parts for the Export page, keyed by run id: the code is shown at once, the zip is
built when the download is clicked and kept for a repeated click."""

from __future__ import annotations

import streamlit as st

from mlcore.dataset import Dataset
from mlcore.deploy.bundle import Bundle, BundleCode, build_bundle, bundle_code
from mlcore.evaluate.decision_rule import DecisionRule
from mlcore.train.runs import Run


@st.cache_resource(max_entries=16, show_spinner=False)
def _code(run_id: str, rule: DecisionRule | None, _run: Run, _dataset: Dataset) -> BundleCode:
    return bundle_code(_run, _dataset, rule=rule)


def code(run: Run, dataset: Dataset, rule: DecisionRule | None) -> BundleCode:
    return _code(run.id, rule, run, dataset)


@st.cache_resource(max_entries=2, show_spinner=False)
def _bundle(run_id: str, rule: DecisionRule | None, _run: Run, _dataset: Dataset) -> Bundle:
    return build_bundle(_run, _dataset, rule=rule)


def bundle(run: Run, dataset: Dataset, rule: DecisionRule | None) -> Bundle:
    return _bundle(run.id, rule, run, dataset)
