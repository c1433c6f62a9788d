"""The traffic log: every answered request's rows, answers, latency and time, appended to the
project's store so that monitoring can read what the model saw in use.

One JSON object per request, one per line, in `traffic/<server>.jsonl` beside the project's runs.
Bounded: a file that reaches `max_bytes` is rotated (`.1`, `.2` …) and only `keep` files are kept.
A request never waits on the disk: answered requests are kept in memory and written together every
`FLUSH_SECONDS` on the server's event loop (one write for many requests, and no thread contending
with the requests for the interpreter). At most `PENDING` wait at once; beyond that, and on a disk
that refuses the writes, what is lost is counted (and said in the server's stats).
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import numpy as np
import orjson
import pandas as pd

from mlcore.deploy.rest_api import Exchange

MAX_BYTES = 20 << 20
KEEP_FILES = 5
PENDING = 1_000
FLUSH_SECONDS = 0.25


class TrafficLog:
    """Appends exchanges to `folder/<name>.jsonl`, a batch at a time; `close` writes what waits."""

    def __init__(
        self,
        folder: Path,
        name: str,
        model: tuple[str, str] = ("", ""),
        max_bytes: int = MAX_BYTES,
        keep: int = KEEP_FILES,
    ) -> None:
        self.path = folder / f"{name}.jsonl"
        self.model = model  # the served model's name and version, in every line (monitoring filters)
        self.max_bytes, self.keep = max_bytes, keep
        self.dropped = 0
        self._pending: list[Exchange] = []
        folder.mkdir(parents=True, exist_ok=True)

    def add(self, exchange: Exchange) -> None:
        if len(self._pending) >= PENDING:
            self.dropped += 1
            return
        self._pending.append(exchange)
        if len(self._pending) == 1:
            try:
                asyncio.get_running_loop().call_later(FLUSH_SECONDS, self.flush)
            except RuntimeError:  # not on an event loop: written at once
                self.flush()

    def flush(self) -> None:
        pending, self._pending = self._pending, []
        if not pending:
            return
        lines = b"".join(orjson.dumps(record(e, self.model), default=str) + b"\n" for e in pending)
        try:
            self._rotate_if_full(len(lines))
            with self.path.open("ab") as out:
                out.write(lines)
        except OSError:
            self.dropped += len(pending)  # a full disk loses log lines, never answers

    def close(self) -> None:
        self.flush()

    def _rotate_if_full(self, adding: int) -> None:
        if not self.path.exists() or self.path.stat().st_size + adding <= self.max_bytes:
            return
        for i in range(self.keep - 1, 0, -1):
            older = self.path.with_name(f"{self.path.name}.{i}")
            if older.exists():
                if i == self.keep - 1:
                    older.unlink()
                else:
                    older.rename(self.path.with_name(f"{self.path.name}.{i + 1}"))
        self.path.rename(self.path.with_name(f"{self.path.name}.1"))


def record(exchange: Exchange, model: tuple[str, str]) -> dict[str, Any]:
    """One request as logged: the model's name and version, inputs (a list of values per feature),
    predictions, probabilities by class."""
    answer = exchange.answer
    out: dict[str, Any] = {
        "time": exchange.time,
        "model": model[0],
        "version": model[1],
        "path": exchange.path,
        "latency_ms": round(exchange.latency_ms, 3),
        "inputs": {k: v.tolist() if isinstance(v, np.ndarray) else v for k, v in exchange.inputs.items()},
        "predictions": np.asarray(answer.predictions).tolist(),
    }
    if answer.probabilities is not None and answer.classes is not None:
        out["classes"] = [str(c) for c in answer.classes]
        out["probabilities"] = answer.probabilities.round(6).tolist()
    return out


def read_traffic(
    folder: Path, since: float | None = None, until: float | None = None, model: tuple[str, str] | None = None
) -> pd.DataFrame:
    """Every logged row in the time window (of one model's servers: its name and version), oldest
    first: the inputs, `_time`, `_prediction` (and `_probability <class>` columns)."""
    frames = []
    files = sorted(folder.glob("*.jsonl*"), key=lambda p: (p.name.split(".jsonl")[0], -_rotation(p)))
    for path in files:
        for line in path.read_text(encoding="utf-8").splitlines():
            try:
                item = json.loads(line)
            except ValueError:
                continue  # a line cut short by a crash
            if (since is not None and item["time"] < since) or (until is not None and item["time"] > until):
                continue
            if model is not None and (item.get("model"), item.get("version")) != model:
                continue
            rows = pd.DataFrame(item["inputs"])
            rows["_time"] = item["time"]
            rows["_prediction"] = item["predictions"]
            for j, label in enumerate(item.get("classes", [])):
                rows[f"_probability {label}"] = [p[j] for p in item["probabilities"]]
            frames.append(rows)
    if not frames:
        return pd.DataFrame()
    return pd.concat(frames, ignore_index=True).sort_values("_time", kind="stable", ignore_index=True)


def _rotation(path: Path) -> int:
    suffix = path.name.rsplit(".jsonl", 1)[1].lstrip(".")
    return int(suffix) if suffix.isdigit() else 0
