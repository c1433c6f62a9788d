"""Data: load a table (upload, database, sample, generator), look at it, and set column types and roles."""

from __future__ import annotations

import streamlit as st

from mlcore.data.generators import DESCRIPTIONS, KNOB_BOUNDS, KNOBS, GeneratorSpec, Shape
from mlcore.data.readers import FILE_TYPES, RaggedRowsError, ReadOptions
from mlcore.data.samples import SAMPLES
from mlcore.data.sniff import HEAD_BYTES, detect_format
from mlcore.dataset import CANDIDATE_MARK, FileFormat, date_order_choice, target_candidates, target_note
from mlcore.errors import DataLoadError, LimitExceededError
from mlcore.formatting import plural
from mlcore.markup import markdown_text
from mlcore.schema import ColumnType, Task
from mlcore.settings import DEFAULT
from ui.database_source import database_tab
from ui.feedback import show_problem
from ui.origin_views import origin_panel, sample_offer, sample_rows_input
from ui.state import get_workspace, synced

UPLOADER = "data_upload"
SAMPLE_CHOICE, SHAPE_CHOICE = "sample_choice", "gen_shape"
SAMPLE_KEY = "upload_sample_rows"
SAMPLED_FORMATS = (FileFormat.PARQUET, FileFormat.DELIMITED)  # what DuckDB scans
GENERATOR_KEYS = {  # widget keys of the generator's knobs
    "n_samples": "gen_n",
    "noise": "gen_noise",
    "n_classes": "gen_classes",
    "n_features": "gen_features",
    "seed": "gen_seed",
}

ws = get_workspace()


def _uploaded_file():
    return st.session_state.get(UPLOADER)


def _upload_is_loaded() -> bool:
    """Whether the file in the uploader is the one loaded (not one that failed, nor a sample since)."""
    uploaded = _uploaded_file()
    return uploaded is not None and uploaded.file_id == ws.upload_id


def _load_upload(options: ReadOptions = ReadOptions()) -> None:
    uploaded = _uploaded_file()
    if uploaded is not None:
        ws.load_upload(uploaded.getvalue(), uploaded.name, options, upload_id=uploaded.file_id)


# The buttons' callbacks read the choices at the click, not when the button was drawn: a click that
# arrives with a change the page has not redrawn for yet (a quick user, a slow server) uses that change.
def _load_chosen_sample() -> None:
    ws.load_sample(st.session_state[SAMPLE_CHOICE])


def _generate_chosen() -> None:
    shape = st.session_state[SHAPE_CHOICE]
    values = {n: st.session_state.get(GENERATOR_KEYS[n], KNOB_BOUNDS[n].default) for n in KNOBS[shape]}
    ws.generate(GeneratorSpec(shape=shape, **values))


def _load_upload_sample() -> None:
    uploaded = _uploaded_file()
    if uploaded is not None:
        rows = st.session_state.get(SAMPLE_KEY) or None
        ws.load_upload_sample(uploaded.getvalue(), uploaded.name, rows, upload_id=uploaded.file_id)


def _sample_offer() -> None:
    """A Parquet or CSV upload too large for memory: summarise every row, work on a sample."""
    uploaded = _uploaded_file()
    if detect_format(bytes(uploaded.getbuffer()[:HEAD_BYTES])) in SAMPLED_FORMATS:  # no copy of the file
        sample_offer(markdown_text(uploaded.name), SAMPLE_KEY, _load_upload_sample)


st.title("Data")
st.caption("Load a table, check how each column was read, and choose what to predict.")

upload_tab, db_tab, sample_tab, generate_tab = st.tabs(
    ["Upload a file", "Database", "Sample datasets", "Generate data"]
)

with upload_tab:
    st.file_uploader(
        "CSV, TSV, TXT, Excel, Parquet or JSON",
        type=list(FILE_TYPES),
        key=UPLOADER,
        on_change=_load_upload,
        help=f"Up to {DEFAULT.limits.max_bytes // 2**20} MB. The format is recognised from the content.",
    )
    if len(ws.sheets) > 1 and _upload_is_loaded():
        st.selectbox(
            "Sheet",
            ws.sheets,
            index=ws.sheets.index(ws.sheet) if ws.sheet in ws.sheets else 0,
            **synced(ws, "sheet", lambda sheet: _load_upload(ReadOptions(sheet=sheet))),
        )

with db_tab:
    database_tab(ws)

with sample_tab:
    sample_key = st.selectbox(
        "Sample dataset", list(SAMPLES), format_func=lambda k: SAMPLES[k].title, key=SAMPLE_CHOICE
    )
    st.caption(SAMPLES[sample_key].description)
    st.button("Load sample", on_click=_load_chosen_sample, type="primary")

with generate_tab:
    shape = st.selectbox("Shape", list(Shape), format_func=lambda s: s.value, key=SHAPE_CHOICE)
    st.caption(DESCRIPTIONS[shape])
    knobs = KNOBS[shape]
    cols = st.columns(len(knobs))
    for col, name in zip(cols, knobs, strict=True):
        knob, key = KNOB_BOUNDS[name], GENERATOR_KEYS[name]
        with col:  # the bounds are the generator's own (mlcore.data.generators); a share is a slider
            if isinstance(knob.default, float):
                st.slider(knob.label, knob.low, knob.high, knob.default, knob.step, key=key)
            else:
                st.number_input(knob.label, knob.low, knob.high, knob.default, step=knob.step, key=key)
    st.button("Generate", on_click=_generate_chosen, type="primary")

show_problem(ws.problem)
if isinstance(ws.problem, RaggedRowsError) and _uploaded_file() is not None:
    st.button(
        f"Load anyway, dropping the {plural(len(ws.problem.bad_lines), 'bad row')}",
        on_click=_load_upload,
        args=(ReadOptions(drop_bad_rows=True),),
    )
if isinstance(ws.problem, LimitExceededError) and _uploaded_file() is not None:
    _sample_offer()
dataset = ws.dataset
if dataset is None:
    st.info("No dataset yet: upload a file, load a sample, or generate one above.")
    st.stop()

if isinstance(ws.problem, DataLoadError):  # the error above is about a file that was not loaded
    st.header(f"Still loaded: {markdown_text(dataset.name)}")
    st.caption(
        "The file or sheet above was not loaded: the table below is the one still in use, with its notes."
    )
else:
    st.header(markdown_text(dataset.name))
if dataset.description:
    st.write(dataset.description)
size = f"{plural(dataset.n_rows, 'row')} × {plural(dataset.n_columns, 'column')}"
st.caption(f"{markdown_text(dataset.source)} · {size}")
origin_panel(ws, dataset)
if dataset.origin is not None and dataset.origin.is_sample and _upload_is_loaded():
    with st.expander("Draw another sample"):
        sample_rows_input(SAMPLE_KEY, dataset.n_rows)
        st.button("Draw the sample", on_click=_load_upload_sample, key="upload_resample")
for note in dataset.notes:
    st.info(markdown_text(note), icon=":material/info:")
dates = date_order_choice(dataset)
if dates is not None and _upload_is_loaded():
    st.info(markdown_text(dates.note), icon=":material/calendar_month:")
    again = ReadOptions(
        sheet=ws.sheet, drop_bad_rows=dataset.read_info.dropped_rows > 0, day_first=dates.day_first
    )
    st.button(dates.label, on_click=_load_upload, args=(again,))

st.subheader("Preview")
st.dataframe(dataset.frame.head(DEFAULT.preview_rows), height=260)

st.subheader("Target and task")
names = [c.name for c in dataset.columns]
likely = {c.column: c.reason for c in target_candidates(dataset)}
options = [None, *likely, *(n for n in names if n not in likely)]
left, right = st.columns(2)
with left:
    st.selectbox(
        "Column to predict (target)",
        options,
        index=options.index(dataset.target),
        format_func=lambda n: (
            "— none —" if n is None else f"{CANDIDATE_MARK} {n} · {likely[n]}" if n in likely else n
        ),
        **synced(ws, "target", ws.set_target),
    )
    note = target_note(dataset)
    if note and dataset.target is None:
        st.info(markdown_text(note), icon=":material/help:")
    elif note:
        st.caption(markdown_text(note))
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
        st.caption(f"Rule: {markdown_text(dataset.task_rule)}")

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
st.dataframe(
    dataset.schema_table(),
    hide_index=True,
    placeholder="",
    column_config={
        "distinct": st.column_config.NumberColumn(
            help="Blank for decimal numbers: they are not counted when the table loads (too costly, and "
            "almost every value differs)."
        )
    },
)
