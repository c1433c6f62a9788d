"""The typed error of the Teach stage: a plain message and what to do instead."""

from __future__ import annotations

from mlcore.errors import MLCoreError


class TeachError(MLCoreError):
    """A demonstration cannot be drawn from these features, settings or rows."""
