"""The servers the app started: each a detached `mlcore serve` process (so it outlives a page, a
reload and the app itself), known by its record file in `<home>/servers/`. Listing checks that each
process is still alive; one that died is said to have stopped, with the end of its log.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

from mlcore.serve.server import KEY_VARIABLE, ServeOptions, ServerRecord, check_options, read_record
from mlcore.serve.sources import ServeError
from mlcore.track.files import write_json
from mlcore.track.tracking import pid_alive

SERVERS_FOLDER = "servers"
START_SECONDS = 90.0
STOP_SECONDS = 10.0


def servers_folder(home: Path) -> Path:
    return home / SERVERS_FOLDER


def start_server(home: Path, ref: str, options: ServeOptions, wait: float = START_SECONDS) -> ServerRecord:
    """Start serving `ref` in a new process and wait until it answers (or says why it cannot)."""
    check_options(options)
    folder = servers_folder(home)
    folder.mkdir(parents=True, exist_ok=True)
    server_id = uuid.uuid4().hex[:10]
    record_file = folder / f"{server_id}.json"
    command = [
        sys.executable,
        "-m",
        "mlcore",
        "serve",
        ref,
        "--host",
        options.host,
        "--port",
        str(options.port),
    ]
    command += ["--record", str(record_file)]
    command += [] if options.log_traffic else ["--no-traffic-log"]
    command += [] if options.threshold is None else ["--threshold", repr(options.threshold)]
    for origin in options.cors_origins:
        command += ["--cors", origin]
    env = {**os.environ, "MLCORE_HOME": str(home)}
    env.pop(KEY_VARIABLE, None)
    if options.api_key:
        env[KEY_VARIABLE] = options.api_key  # not on the command line, where `ps` shows it
    with (folder / f"{server_id}.log").open("ab") as log:
        process = subprocess.Popen(
            command, env=env, stdin=subprocess.DEVNULL, stdout=log, stderr=log, start_new_session=True
        )
    write_json(
        record_file,
        ServerRecord(
            server_id, ref, options.host, options.port, process.pid, "starting", time.time()
        ).to_dict(),
    )
    deadline = time.monotonic() + wait
    while time.monotonic() < deadline:
        record = read_record(record_file)
        if record is not None and record.state == "running":
            return record
        if process.poll() is not None:
            record = read_record(record_file)
            message = (
                record.message
                if record and record.state == "failed"
                else _log_tail(folder / f"{server_id}.log")
            )
            forget_server(home, server_id)
            raise ServeError(
                f"The server did not start: {message}", "Check the model and the address, then try again."
            )
        time.sleep(0.1)
    stop_server(home, server_id)
    forget_server(home, server_id)
    raise ServeError(
        f"The server did not start within {wait:.0f} s.", "Try again; a large model takes longer to load."
    )


def list_servers(home: Path) -> list[ServerRecord]:
    """Every server the app knows of, newest first; one whose process is gone is marked stopped."""
    found = []
    for path in servers_folder(home).glob("*.json"):
        record = read_record(path)
        if record is None:
            continue
        if record.state in ("starting", "running") and not _alive(record.pid):
            record.state = "stopped"
            record.message = "the server process ended: " + _log_tail(path.with_suffix(".log"))
            write_json(path, record.to_dict())
        found.append(record)
    return sorted(found, key=lambda r: -r.started)


def stop_server(home: Path, server_id: str) -> None:
    """SIGTERM (uvicorn finishes the requests in flight), SIGKILL after `STOP_SECONDS`."""
    record = read_record(servers_folder(home) / f"{server_id}.json")
    if record is None or not _alive(record.pid):
        return
    _signal(record.pid, signal.SIGTERM)
    deadline = time.monotonic() + STOP_SECONDS
    while _alive(record.pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    if _alive(record.pid):
        _signal(record.pid, signal.SIGKILL)
        while _alive(record.pid):
            time.sleep(0.05)


def forget_server(home: Path, server_id: str) -> None:
    """Remove a stopped server's record and log."""
    for suffix in (".json", ".log"):
        (servers_folder(home) / f"{server_id}{suffix}").unlink(missing_ok=True)


def _signal(pid: int, sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pid, sig)  # the server leads its own session: its workers go too


def _alive(pid: int) -> bool:
    with contextlib.suppress(ChildProcessError):
        if os.waitpid(pid, os.WNOHANG)[0] == pid:  # reaped: it was our own child, and it ended
            return False
    return pid_alive(pid) and not _zombie(pid)


def _zombie(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0] == "Z"
    except (OSError, IndexError):
        return False


def _log_tail(path: Path, lines: int = 3) -> str:
    try:
        text = path.read_text(errors="replace").strip().splitlines()
    except OSError:
        return "no log"
    return " ".join(text[-lines:])[-400:] or "no message"
