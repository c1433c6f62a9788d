"""Export: a bundle that runs without the workbench (model, model card, train.py, predict.py) and its code."""

from __future__ import annotations

import shlex

import streamlit as st

from mlcore.deploy.bundle import bundle_filename, contents, export_command, onnx_outlook
from mlcore.evaluate.decision_rule import rule_for
from mlcore.markup import markdown_code, markdown_text
from ui.export_cache import bundle, code
from ui.guards import require_target
from ui.state import get_workspace
from ui.use_runs import pick_run

ws = get_workspace()
st.title("Export")
st.caption(
    "Download a trained model as a bundle that runs without this app: the fitted pipeline for scikit-learn "
    "(joblib) and in skops' safe format, a model card, and plain Python scripts that rebuild the model from "
    "your file with the same numbers and predict new files."
)
dataset = require_target(ws, "export a model")
run = pick_run(ws, dataset, "export it")
rule = rule_for(run.classes, run.proba is not None, ws.evaluation.thresholds.get(run.id))
texts = code(run, dataset, rule)

left, right = st.columns([3, 2])
with left:
    blocker = onnx_outlook(run, dataset)
    files = contents(texts, onnx=not blocker)
    st.markdown("**In the bundle**\n\n" + "\n".join(f"- `{name}`: {what}" for name, what in files.items()))
    st.caption(
        f"ONNX: left out, {blocker}"
        if blocker
        else "ONNX: included when the converted model agrees with the pipeline (the card says how well)."
    )
    for note in texts.notes:
        st.caption(markdown_text(note))
    if rule is not None:
        st.info(
            f"{markdown_text(rule.sentence())} The threshold was chosen on the Evaluate page: the model card "
            "states it and predict.py applies it (model.joblib's own predict() keeps the default).",
            icon=":material/tune:",
        )
    elif run.classes is not None and len(run.classes) == 2:
        st.caption(
            "Decision rule: the model's own (the more probable class). A threshold chosen on the Evaluate "
            "page goes into the bundle."
        )
with right:
    st.download_button(
        "Download the bundle (.zip)",
        data=lambda: bundle(run, dataset, rule).zip_bytes(),
        file_name=bundle_filename(run, dataset),
        mime="application/zip",
        type="primary",
        icon=":material/download:",
        on_click="ignore",
        help="Built when you click: the model is saved twice and the ONNX conversion is checked, which can "
        "take a few seconds for large forests.",
    )
    st.markdown(
        "**On your machine**\n\n"
        "1. Unzip the bundle and `pip install -r requirements.txt`\n"
        f"2. {markdown_code('python train.py ' + shlex.quote(texts.data_file))}: rebuilds the model, prints "
        "the card's metrics\n"
        "3. `python predict.py new_rows.csv -o predictions.csv`"
    )
    command = export_command(run, texts.data_file)
    st.caption(
        (
            "The same bundle"
            if command.reproduces_run
            else "A bundle with the default preprocessing, split and settings"
        )
        + " from the command line"
        + (
            ""
            if texts.data_file == dataset.name
            else f" (with the {markdown_text(texts.data_file)} of the bundle)"
        )
        + ":"
    )
    st.code(command.text, language="bash", wrap_lines=True)

st.subheader("Show me the code")
names = list(texts.files)
for tab, name in zip(st.tabs(names), names, strict=True):
    with tab:
        language = {".py": "python", ".md": "markdown", "Dockerfile": "docker"}.get(
            name[name.rfind(".") :] if "." in name else name, "text"
        )
        st.code(texts.files[name], language=language, line_numbers=True)
