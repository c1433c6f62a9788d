"""The typed error of the Discover stage: a plain message and what to do instead."""

from __future__ import annotations

from mlcore.errors import MLCoreError


class DiscoverError(MLCoreError):
    """The data or the settings cannot be clustered, projected or searched for anomalies as they are."""
