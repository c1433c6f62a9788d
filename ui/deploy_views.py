"""The Deploy page's parts: the serve form and one panel per server (state, address, examples, live
request statistics, Stop), redrawn every two seconds from the servers' record files."""

from __future__ import annotations

import secrets
from pathlib import Path

import pandas as pd
import streamlit as st

from mlcore.errors import MLCoreError
from mlcore.formatting import number
from mlcore.markup import markdown_text
from mlcore.serve.examples import curl_example, javascript_example, python_example
from mlcore.serve.server import ServeOptions, ServerRecord, is_loopback
from mlcore.serve.servers import forget_server, list_servers, start_server, stop_server
from mlcore.track.tracking import ModelVersionInfo, Tracker
from mlcore.workspace import Workspace
from ui.feedback import show_problem
from ui.use_runs import usable_runs

KEYS = "deploy_api_keys"  # server id → the key it was started with, for this session's examples only


@st.cache_data(ttl=10, show_spinner=False)
def registered_versions(uri: str, _tracker: Tracker) -> list[ModelVersionInfo]:
    """The registry, read at most every 10 s: each version costs MLflow queries, and the page reruns on
    every widget change."""
    return _tracker.model_versions()


def model_choices(ws: Workspace, tracker: Tracker | None) -> dict[str, str]:
    """What can be served (label → reference): registered versions, then this project's runs."""
    choices: dict[str, str] = {}
    if tracker is not None:
        try:
            versions = registered_versions(tracker.uri, tracker)
        except MLCoreError as exc:
            show_problem(exc)
            versions = []
        for v in versions:
            aliases = f" ({', '.join(v.aliases)})" if v.aliases else ""
            choices[f"{v.name} version {v.version}{aliases} · registered"] = f"{v.name}/{v.version}"
    for run in usable_runs(ws):
        choices[f"{run.label} · run {run.id} of this project"] = run.id
    return choices


def serve_form(ws: Workspace, home: Path, choices: dict[str, str]) -> None:
    label = st.selectbox("Model", list(choices), key="deploy_model", help="A registered version, or any run")
    host_col, port_col = st.columns(2)
    host = host_col.text_input(
        "Host",
        "127.0.0.1",
        key="deploy_host",
        help="127.0.0.1: only this machine can call it. Others (0.0.0.0: every network) needs a key.",
    )
    port = port_col.number_input("Port", 0, 65535, 0, key="deploy_port", help="0 picks a free port")
    needs_key = not is_loopback(host.strip())
    key = st.text_input(
        "API key" + (" (required off this machine)" if needs_key else " (optional)"),
        type="password",
        key="deploy_key",
        help="Callers send it as 'Authorization: Bearer <key>'. Leave empty on 127.0.0.1 for no key.",
    )
    if st.button("Generate a key", key="deploy_new_key"):
        st.session_state["deploy_key_made"] = secrets.token_urlsafe(24)
    if made := st.session_state.get("deploy_key_made"):
        st.caption("A new key (copy it into the field above, and keep it):")
        st.code(made, language=None)
    keep = st.toggle(
        "Keep requests for monitoring",
        True,
        key="deploy_traffic",
        help="Each request's rows, answers and latency go to the project's traffic log (bounded, rotated).",
    )
    if not st.button("Serve", type="primary", key="deploy_serve"):
        return
    run = next((r for r in ws.current_runs() if r.id == choices[label]), None)
    threshold = ws.evaluation.thresholds.get(run.id) if run is not None else None
    options = ServeOptions(host.strip(), int(port), key or None, (), threshold, keep)
    try:
        with st.spinner("Starting the server…"):
            record = start_server(home, choices[label], options)
    except MLCoreError as exc:
        show_problem(exc)
        return
    if key:
        st.session_state.setdefault(KEYS, {})[record.id] = key
    st.success(f"Serving {record.model} at {record.url}")


@st.fragment(run_every=2)
def servers_panel(home: Path) -> None:
    servers = list_servers(home)
    if not servers:
        st.caption("No server yet: choose a model above and press Serve.")
        return
    for record in servers:
        _server_panel(home, record)


def _server_panel(home: Path, record: ServerRecord) -> None:
    running = record.state == "running"
    with st.container(border=True):
        head, action = st.columns([4, 1])
        state = ":green[running]" if running else f":gray[{record.state}]"  # words: emoji need a font
        name = markdown_text(record.model or record.ref)
        version = record.version if not record.version.isdigit() else f"version {record.version}"
        head.markdown(f"**{name}** · {markdown_text(version)} · {state}")
        if running:
            head.markdown(f"URL: `{record.url}` · [interactive docs]({record.url}/docs)")
            if action.button("Stop", key=f"stop_{record.id}", type="secondary"):
                stop_server(home, record.id)
                st.rerun(scope="app")
        else:
            head.caption(record.message or "Stopped; its port is free again.")
            if action.button("Remove", key=f"forget_{record.id}"):
                forget_server(home, record.id)
                st.rerun(scope="app")
        _stats(record)
        if running:
            _examples(record)


def _stats(record: ServerRecord) -> None:
    stats = record.stats or {}
    latency = stats.get("latency_ms", {})
    cols = st.columns(5)
    cols[0].metric("Requests", number(stats.get("requests", 0)))
    cols[1].metric("Errors (4xx / 5xx)", f"{stats.get('client_errors', 0)} / {stats.get('server_errors', 0)}")
    for col, name in zip(cols[2:], ("p50", "p95", "p99"), strict=True):
        value = latency.get(name)
        col.metric(f"Latency {name}", "–" if value is None else f"{value:.1f} ms")
    if stats.get("last_request"):
        st.caption(f"Last request {pd.Timestamp(stats['last_request'], unit='s').floor('s')} UTC.")


def _examples(record: ServerRecord) -> None:
    row = record.example
    with st.expander("Call it: example requests with a real row of the data"):
        if record.key_required:
            known = st.session_state.get(KEYS, {}).get(record.id)
            st.caption(
                "The server needs its key: the examples read it from MLCORE_API_KEY "
                + ("(set it to the key you entered)." if known else "(the key it was started with).")
            )
        curl, python, javascript = st.tabs(["curl", "Python", "JavaScript"])
        curl.code(curl_example(record.url, row, record.key_required), language="bash")
        python.code(python_example(record.url, row, record.key_required), language="python")
        javascript.code(javascript_example(record.url, row, record.key_required), language="javascript")
