"""Limits and presets in one typed object, so the app, the CLI and tests agree on them."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Limits:
    """Upper bounds on what we load; larger inputs get a clear error instead of a frozen browser."""

    max_bytes: int = 200 * 1024 * 1024
    max_rows: int = 5_000_000
    max_columns: int = 2_000


@dataclass(frozen=True)
class Settings:
    """App-wide settings; `DEFAULT` is what the app and the CLI use unless told otherwise."""

    limits: Limits = Limits()
    preview_rows: int = 100


DEFAULT = Settings()
