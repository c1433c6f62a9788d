"""Data: load a table (upload, sample, generator), look at it, and set column types and roles."""

from __future__ import annotations

import streamlit as st

from mlcore.generators import DESCRIPTIONS, KNOBS, GeneratorSpec, Shape
from mlcore.readers import RaggedRowsError, ReadOptions
from mlcore.samples import SAMPLES
from mlcore.schema import ColumnType, Task
from mlcore.settings import DEFAULT
from ui.feedback import show_problem
from ui.state import get_workspace, synced

UPLOADER = "data_upload"
UPLOAD_TYPES = ["csv", "tsv", "txt", "xlsx", "parquet", "json", "jsonl"]

ws = get_workspace()


def _uploaded_file():
    return st.session_state.get(UPLOADER)


def _load_upload(options: ReadOptions = ReadOptions()) -> None:
    uploaded = _uploaded_file()
    if uploaded is not None:
        ws.load_upload(uploaded.getvalue(), uploaded.name, options, upload_id=uploaded.file_id)


st.title("Data")
st.caption("Load a table, check how each column was read, and choose what to predict.")

upload_tab, sample_tab, generate_tab = st.tabs(["Upload a file", "Sample datasets", "Generate data"])

with upload_tab:
    st.file_uploader(
        "CSV, TSV, TXT, Excel, Parquet or JSON",
        type=UPLOAD_TYPES,
        key=UPLOADER,
        on_change=_load_upload,
        help=f"Up to {DEFAULT.limits.max_bytes // 2**20} MB. The format is recognised from the content.",
    )
    uploaded = _uploaded_file()
    if len(ws.sheets) > 1 and uploaded is not None and uploaded.file_id == ws.upload_id:
        st.selectbox(
            "Sheet",
            ws.sheets,
            index=ws.sheets.index(ws.sheet) if ws.sheet in ws.sheets else 0,
            **synced(ws, "sheet", lambda sheet: _load_upload(ReadOptions(sheet=sheet))),
        )

with sample_tab:
    sample_key = st.selectbox(
        "Sample dataset", list(SAMPLES), format_func=lambda k: SAMPLES[k].title, key="sample_choice"
    )
    st.caption(SAMPLES[sample_key].description)
    st.button("Load sample", on_click=ws.load_sample, args=(sample_key,), type="primary")

with generate_tab:
    shape = st.selectbox("Shape", list(Shape), format_func=lambda s: s.value, key="gen_shape")
    st.caption(DESCRIPTIONS[shape])
    knobs = KNOBS[shape]
    cols = st.columns(len(knobs))
    values = {}
    controls = {
        "n_samples": lambda: st.number_input("Samples", 10, 1_000_000, 500, step=100, key="gen_n"),
        "noise": lambda: st.slider("Noise", 0.0, 1.0, 0.2, 0.05, key="gen_noise"),
        "n_classes": lambda: st.number_input("Classes", 2, 10, 3, key="gen_classes"),
        "n_features": lambda: st.number_input("Features", 1, 50, 2, key="gen_features"),
        "seed": lambda: st.number_input("Seed", 0, 2**31 - 1, 0, key="gen_seed"),
    }
    for col, knob in zip(cols, knobs, strict=True):
        with col:
            values[knob] = controls[knob]()
    st.button("Generate", on_click=ws.generate, args=(GeneratorSpec(shape=shape, **values),), type="primary")

show_problem(ws.problem)
if isinstance(ws.problem, RaggedRowsError) and _uploaded_file() is not None:
    st.button(
        f"Load anyway, dropping the {len(ws.problem.bad_lines)} bad row(s)",
        on_click=_load_upload,
        args=(ReadOptions(drop_bad_rows=True),),
    )
dataset = ws.dataset
if dataset is None:
    st.info("No dataset yet: upload a file, load a sample, or generate one above.")
    st.stop()

st.header(dataset.name)
if dataset.description:
    st.write(dataset.description)
st.caption(f"{dataset.source} · {dataset.n_rows:,} rows × {dataset.n_columns} columns")
for note in dataset.notes:
    st.info(note, icon=":material/info:")

st.subheader("Preview")
st.dataframe(dataset.frame.head(DEFAULT.preview_rows), height=260)

st.subheader("Target and task")
names = [c.name for c in dataset.columns]
left, right = st.columns(2)
with left:
    st.selectbox(
        "Column to predict (target)",
        [None, *names],
        index=0 if dataset.target is None else names.index(dataset.target) + 1,
        format_func=lambda n: "— none —" if n is None else n,
        **synced(ws, "target", ws.set_target),
    )
with right:
    if dataset.task is not None:
        st.radio(
            "Task",
            list(Task),
            index=list(Task).index(dataset.task),
            format_func=lambda t: t.value,
            horizontal=True,
            **synced(ws, "task", ws.set_task),
        )
        st.caption(f"Rule: {dataset.task_rule}")

st.subheader("Columns")
candidates = [c.name for c in dataset.columns if c.name != dataset.target]
st.multiselect(
    "Ignored columns (not used as features)",
    candidates,
    default=[c.name for c in dataset.columns if c.role.value == "ignore"],
    **synced(ws, "ignored", ws.set_ignored),
    help="Identifiers are ignored by default: a value unique to each row cannot generalise.",
)
with st.expander("Change a column's type"):
    column_col, type_col = st.columns(2)
    chosen = column_col.selectbox("Column", names, key=f"type_column@{dataset.content_hash}")
    current_type = dataset.column(chosen).ctype
    type_col.selectbox(
        "Type",
        list(ColumnType),
        index=list(ColumnType).index(current_type),
        format_func=lambda t: t.value,
        **synced(ws, "type_value", lambda ctype: ws.set_type(chosen, ctype)),
    )
st.dataframe(dataset.schema_table(), hide_index=True)
