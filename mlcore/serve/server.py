"""One served model in a process of its own: uvicorn on a socket bound here (port 0: a free one),
the traffic log, and a record file the app reads to find the server again after a reload or its
own restart (state, address, model, and request statistics refreshed every second).

Safe by default: loopback only unless told otherwise, and then only with an API key.
"""

from __future__ import annotations

import gc
import ipaddress
import os
import signal
import socket
import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from mlcore.deploy.rest_api import KEY_VARIABLE, ApiSettings, make_app
from mlcore.serve.sources import Served, ServeError, resolve
from mlcore.serve.traffic import TrafficLog
from mlcore.track.files import read_json, write_json
from mlcore.track.projects import ProjectStore

STATS_SECONDS = 1.0
TRAFFIC_FOLDER = "traffic"


@dataclass(frozen=True)
class ServeOptions:
    """How to serve: address, key, CORS origins, decision threshold, traffic log on or off."""

    host: str = "127.0.0.1"
    port: int = 0
    api_key: str | None = None
    cors_origins: tuple[str, ...] = ()
    threshold: float | None = None
    log_traffic: bool = True


@dataclass
class ServerRecord:
    """What the record file says about a server (the app's view of it)."""

    id: str
    ref: str
    host: str
    port: int
    pid: int
    state: str  # starting, running, stopped, failed
    started: float
    model: str = ""
    version: str = ""
    project_id: str | None = None
    key_required: bool = False
    example: dict[str, Any] = field(default_factory=dict)
    message: str = ""
    stats: dict[str, Any] = field(default_factory=dict)

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_options(options: ServeOptions) -> None:
    if not is_loopback(options.host) and not options.api_key:
        raise ServeError(
            f"Serving on {options.host} lets other machines call the model, so an API key is required.",
            f"Set one (--api-key, or the {KEY_VARIABLE} environment variable), or serve on 127.0.0.1.",
        )
    if not 0 <= options.port <= 65535:
        raise ServeError(
            f"Port {options.port} is not a port number.", "Choose one from 1024 to 65535, or 0 for any."
        )


def bind(host: str, port: int) -> socket.socket:
    """A listening socket (port 0: one the system picks, so two servers never race for a port)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # IPPROTO_TCP named, as uvicorn's own sockets do: asyncio sets TCP_NODELAY only on such sockets,
    # and without it every answer waits ~40 ms for the client's delayed ACK.
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        raise ServeError(
            f"Port {port} on {host} cannot be used ({exc.strerror}).",
            "Choose another port, or 0 for a free one.",
        ) from None
    sock.listen(2048)
    sock.set_inheritable(True)
    return sock


def serve(
    ref: str, home: Path, options: ServeOptions, record_file: Path | None = None, announce: Any = None
) -> None:
    """Serve `ref` until SIGTERM or Ctrl+C; `record_file` is kept up to date for the app."""
    import uvicorn

    check_options(options)
    record = ServerRecord(
        record_file.stem if record_file else f"cli-{os.getpid()}",
        ref,
        options.host,
        options.port,
        os.getpid(),
        "starting",
        time.time(),
    )
    try:
        served = resolve(ref, home, options.threshold)
        sock = bind(options.host, options.port)
    except Exception as exc:
        record.state, record.message = "failed", getattr(exc, "message", str(exc))
        _write(record_file, record)
        raise
    log = _traffic_log(home, served, record.id) if options.log_traffic else None
    settings = ApiSettings(options.api_key, options.cors_origins, on_exchange=log.add if log else None)
    app = make_app(served.model, settings)
    # The model and libraries stay for the process's life: out of the collector's way, a batch's
    # thousands of short-lived rows no longer trigger full collections that walk them (~0.1 s each).
    gc.collect()
    gc.freeze()
    record.port = sock.getsockname()[1]
    record.model, record.version, record.project_id = (
        served.model.name,
        served.model.version,
        served.project_id,
    )
    record.key_required, record.example, record.state = options.api_key is not None, served.example, "running"
    _write(record_file, record)
    if announce:
        announce(record)
    config = uvicorn.Config(app, log_level="warning", access_log=False, timeout_keep_alive=30, lifespan="off")
    server = uvicorn.Server(config)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: setattr(server, "should_exit", True))
    if record_file is not None:
        threading.Thread(target=_keep_stats, args=(record_file, record, app, log, stop), daemon=True).start()
    try:
        server.run(sockets=[sock])
    finally:
        stop.set()
        if log is not None:
            log.close()
        record.state, record.stats = "stopped", app.state.stats.summary()
        record.message = ""
        _write(record_file, record)
        sock.close()


def _traffic_log(home: Path, served: Served, server_id: str) -> TrafficLog:
    store = ProjectStore(home)
    if served.project_id and store.exists(served.project_id):
        folder = store.folder(served.project_id) / TRAFFIC_FOLDER
    else:
        folder = home / TRAFFIC_FOLDER / _slug(served.model.name)
    return TrafficLog(folder, server_id, (served.model.name, served.model.version))


def _slug(text: str) -> str:
    return "".join(c if c.isalnum() or c in "-_" else "-" for c in text)[:60] or "model"


def _keep_stats(
    record_file: Path, record: ServerRecord, app: Any, log: TrafficLog | None, stop: threading.Event
) -> None:
    last: dict[str, Any] = {}
    while not stop.wait(STATS_SECONDS):
        stats = app.state.stats.summary() | {"traffic_dropped": log.dropped if log else 0}
        if stats != last:
            record.stats, last = stats, stats
            _write(record_file, record)


def _write(record_file: Path | None, record: ServerRecord) -> None:
    if record_file is not None:
        write_json(record_file, record.to_dict())


def read_record(path: Path) -> ServerRecord | None:
    try:
        return ServerRecord(**read_json(path))
    except (OSError, ValueError, TypeError):
        return None
