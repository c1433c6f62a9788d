"""The preprocessing pipeline in plain words, with scikit-learn's diagram one click away."""

from __future__ import annotations

import streamlit as st

from mlcore.dataset import Dataset
from mlcore.errors import MLCoreError
from mlcore.markup import markdown_text, sandboxed_page
from mlcore.train.models import default_set, get_model
from mlcore.train.pipeline_description import describe_pipeline, pipeline_html, prep_notes
from mlcore.train.prep import build_pipeline
from mlcore.train.prep_spec import PrepSpec
from mlcore.workspace import Workspace
from ui.explore_cache import data_key
from ui.feedback import show_problem

DIAGRAM_HEIGHT = 360
LEAK_PROOF = (
    "Every step is fitted on the training rows of each cross-validation fold only, inside one pipeline "
    "with the model, so no statistic of the validation or holdout rows leaks into training."
)


@st.cache_data(max_entries=16, show_spinner=False)
def _diagram(key: str, prep_key: str, model_key: str, _dataset: Dataset, _prep: PrepSpec) -> str:
    return pipeline_html(build_pipeline(_dataset, _prep, model_key))


def pipeline_summary(ws: Workspace, dataset: Dataset) -> bool:
    """Draw the steps in words; False (with the reason shown) when the spec cannot be built."""
    prep = ws.train_request(()).prep
    try:
        lines = describe_pipeline(dataset, prep)
    except MLCoreError as exc:
        show_problem(exc)
        return False
    steps = [line for line in lines if not line.startswith("Every step is fitted")]
    st.markdown("\n".join(f"- {markdown_text(line)}" for line in steps))  # column names in them are text
    for note in prep_notes(dataset, prep):
        st.warning(markdown_text(note), icon=":material/timer:")
    st.info(LEAK_PROOF, icon=":material/lock:")
    return True


def pipeline_diagram(ws: Workspace, dataset: Dataset) -> None:
    """scikit-learn's diagram of the whole pipeline, with the first chosen model as its last step."""
    prep = ws.train_request(()).prep
    chosen = ws.model_choices()
    model_key = chosen[0].key if chosen else default_set(dataset.task)[0]
    with st.expander("Pipeline diagram (scikit-learn)"):
        try:
            html = _diagram(data_key(dataset), repr(prep), model_key, dataset, prep)
        except MLCoreError as exc:
            show_problem(exc)
            return
        st.caption(f"Shown with {get_model(dataset.task, model_key).name}; click a step to see its settings.")
        st.iframe(sandboxed_page(html), height=DIAGRAM_HEIGHT)  # its own styles and script, kept apart
