"""Cached bundle parts for the Export page, keyed by run id: the code is shown at once, the zip is
built when the download is clicked and kept for a repeated click."""

from __future__ import annotations

import streamlit as st

from mlcore.bundle import Bundle, BundleCode, build_bundle, bundle_code
from mlcore.dataset import Dataset
from mlcore.train import Run


@st.cache_resource(max_entries=16, show_spinner=False)
def _code(run_id: str, _run: Run, _dataset: Dataset) -> BundleCode:
    return bundle_code(_run, _dataset)


def code(run: Run, dataset: Dataset) -> BundleCode:
    return _code(run.id, run, dataset)


@st.cache_resource(max_entries=2, show_spinner=False)
def _bundle(run_id: str, _run: Run, _dataset: Dataset) -> Bundle:
    return build_bundle(_run, _dataset)


def bundle(run: Run, dataset: Dataset) -> Bundle:
    return _bundle(run.id, run, dataset)
