"""Nothing reaches the network: samples load offline, telemetry switches are set."""

from __future__ import annotations

import os
import socket
import tomllib
from pathlib import Path

import pytest

import mlcore
from mlcore.data.samples import SAMPLES, load_sample
from mlcore.settings import DEFAULT

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def offline(monkeypatch):
    """Any attempt to open a network connection fails the test."""

    def refuse(*args, **kwargs):
        raise AssertionError(f"network access attempted: {args!r}")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)


def test_every_sample_loads_offline(offline):
    load_sample.cache_clear()
    for key in SAMPLES:
        assert load_sample(key).n_rows > 100


def test_telemetry_and_safety_settings():
    assert mlcore.__version__
    assert os.environ["YDATA_PROFILING_NO_ANALYTICS"]
    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())
    assert config["browser"]["gatherUsageStats"] is False
    assert config["server"]["enableXsrfProtection"] is True
    assert config["server"]["maxUploadSize"] * 2**20 == DEFAULT.limits.max_bytes
    assert config["client"]["showErrorDetails"] == "none"


def test_server_listens_on_this_machine_only_by_default():
    """Issue 11, item 8: every interface was the default; a class is served only when asked for."""
    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())
    assert config["server"]["address"] == "127.0.0.1"
    makefile = (ROOT / "Makefile").read_text()
    assert "ADDRESS ?= 127.0.0.1" in makefile and "--server.address $(ADDRESS)" in makefile


def test_page_icon_is_a_local_image():
    """A ':material/…:' page icon made the browser fetch it from fonts.gstatic.com."""
    source = (ROOT / "app.py").read_text()
    assert "page_icon=str(ICON)" in source and ":material/" not in source.split("set_page_config")[1][:80]
    assert (ROOT / "ui" / "assets" / "icon.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_mlflow_reports_no_usage_in_a_users_process():
    """MLflow 3 sends usage telemetry unless switched off; it stays off by itself only under CI or
    pytest, so this looks from a process with a user's environment (regression: it was on)."""
    import subprocess
    import sys

    ci = ("PYTEST_CURRENT_TEST", "CI", "GITHUB_ACTIONS", "MLFLOW_DISABLE_TELEMETRY", "DO_NOT_TRACK")
    env = {k: v for k, v in os.environ.items() if k not in ci}
    check = "import mlcore; from mlflow.telemetry.utils import is_telemetry_disabled as off; print(off())"
    done = subprocess.run([sys.executable, "-c", check], env=env, capture_output=True, text=True, timeout=120)
    assert done.stdout.strip() == "True", done.stderr
