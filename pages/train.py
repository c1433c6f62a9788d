"""Train: choose models and their settings, train them in the background, compare them, tune the best."""

from __future__ import annotations

import streamlit as st

from ui.feedback import show_problem
from ui.guards import require_target
from ui.leaderboard import draw_leaderboard, training_status
from ui.param_widgets import budget_input, model_chooser
from ui.split_widgets import seed_input, split_preview
from ui.state import get_workspace
from ui.tuning_panel import tuning_panel

ws = get_workspace()

st.title("Train")
st.caption(
    "Choose models, train them in the background (you can switch pages meanwhile) and compare them on "
    "the leaderboard. Every model gets the same preprocessing, split and seed."
)
dataset = require_target(ws, "train models")

with st.container(border=True):
    st.markdown(
        f"**Predicting `{dataset.target}`** ({dataset.task.value}) from {len(dataset.features)} feature(s)"
    )
    split_preview(ws, dataset)
    st.page_link(
        "pages/prepare.py", label="Change preprocessing or the split on Prepare", icon=":material/tune:"
    )

st.subheader("Models")
chosen = model_chooser(ws, dataset)

snapshot = ws.poll_training()
running = snapshot is not None and snapshot.running
budget, seed, action = st.columns(3, vertical_alignment="bottom")
with budget:
    budget_input(ws)
with seed:
    seed_input(ws)
with action:
    st.button(
        f"Train {len(chosen)} model{'s' if len(chosen) != 1 else ''}",
        type="primary",
        icon=":material/model_training:",
        disabled=running or not chosen,
        on_click=ws.start_training,
        width="stretch",
        help="Training runs in background processes: you can switch pages and come back.",
    )
show_problem(ws.train_problem)


@st.fragment(run_every=1.0 if running else None)
def live() -> None:
    """Polled every second while training runs. When it ends, the sidebar's training poll reruns the
    whole page, which re-enables the controls."""
    now = ws.poll_training()
    if now is not None and (now.running or ws.training.request.dataset.content_hash == dataset.content_hash):
        training_status(ws, now)
    draw_leaderboard(ws, dataset)


live()
tuning_panel(ws, dataset)
