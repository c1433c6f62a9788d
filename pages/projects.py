"""Projects: every piece of work kept on this workbench, to open, rename, copy, hand on or delete."""

from __future__ import annotations

import streamlit as st

from mlcore.errors import MLCoreError
from mlcore.markup import markdown_text
from mlcore.track.archive import SUFFIX, export_filename, export_project, import_project
from mlcore.track.projects import projects_table
from ui.feedback import show_problem
from ui.projects_views import current_project, disk_use, forget_choice
from ui.state import get_workspace

ws = get_workspace()
st.title("Projects")
st.caption(
    "A project is one dataset (with its schema, target and task), its Prepare and Train settings and every "
    "model trained on it. Projects are saved as you work: reload the page or open its link tomorrow and "
    "everything is where you left it. Loading a new file, sample or generated table starts a new project."
)
if ws.recorder is None:
    st.info("This session keeps nothing on disk, so it has no projects.")
    st.stop()
store = ws.recorder.store
current_project(ws)
show_problem(ws.problem)

projects = store.list()
if not projects:
    st.info("No projects yet. Load a dataset on the Data page to start one, or import a project file below.")
else:
    table = projects_table(projects, disk_use(store, projects))
    picked = st.dataframe(
        table.drop(columns=["id"]),
        hide_index=True,
        on_select="rerun",
        selection_mode="single-row",
        key="projects_table",
        column_config={"changed": st.column_config.DatetimeColumn("last change", format="YYYY-MM-DD HH:mm")},
    )
    rows = picked.selection.rows
    if not rows:
        st.caption("Select a project in the table to open, rename, duplicate, export or delete it.")
    else:
        chosen = projects[rows[0]]
        st.subheader(markdown_text(chosen.name))
        opened = ws.project is not None and ws.project.id == chosen.id
        open_col, copy_col, export_col, delete_col = st.columns(4)
        if open_col.button(
            "Open", type="primary", disabled=opened, help="Work in this project now"
        ) and ws.open_project(chosen.id):
            st.switch_page("pages/data.py")
        if copy_col.button("Duplicate", help="A copy with every run, to try something without losing this"):
            try:
                store.duplicate(chosen.id)
            except MLCoreError as exc:
                ws.problem = exc
            forget_choice()
            st.rerun()
        if export_col.button("Export…", help=f"One {SUFFIX} file to hand on; import it on any workbench"):
            st.session_state["project_export"] = (chosen.id, export_project(store, chosen.id))
        export = st.session_state.get("project_export")
        if export is not None and export[0] == chosen.id:
            export_col.download_button(
                "Download", export[1], export_filename(chosen), "application/zip", icon=":material/download:"
            )
        if delete_col.button("Delete…", help="Delete the project and its files"):
            st.session_state["project_delete"] = chosen.id
        if st.session_state.get("project_delete") == chosen.id:
            st.warning(
                f"Delete **{markdown_text(chosen.name)}** with its {len(chosen.runs)} run(s), its files and "
                "its MLflow experiment with the models in it? This cannot be undone.",
                icon=":material/delete:",
            )
            yes, no = st.columns(2)
            if yes.button("Delete for good", type="primary"):
                ws.recorder.delete_project(chosen.id)
                if opened:
                    ws.close_project()
                forget_choice()
                st.rerun()
            if no.button("Keep it"):
                st.session_state.pop("project_delete")
                st.rerun()
        with st.form("rename_project", border=False):
            name = st.text_input("Name", chosen.name, max_chars=80)
            if st.form_submit_button("Rename"):
                store.rename(chosen.id, name)
                if opened:
                    ws.project = store.info(chosen.id)
                st.rerun()

st.subheader("Import a project")
upload = st.file_uploader(
    f"A {SUFFIX} file exported from a workbench", type=[SUFFIX.lstrip("."), "zip"], key="project_import"
)
if upload is not None and st.session_state.get("project_imported") != upload.file_id:
    with st.spinner("Checking every file and model in the project…"):
        try:
            info = import_project(store, upload.getvalue())
        except MLCoreError as exc:
            show_problem(exc)
        else:
            st.session_state["project_imported"] = upload.file_id
            ws.recorder.track_project(info.id)  # its runs join this workbench's MLflow history
            ws.open_project(info.id)
            st.success(f"Imported **{markdown_text(info.name)}** ({len(info.runs)} run(s)); it is open now.")
