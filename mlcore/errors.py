"""Typed errors: each carries a plain-language message and a hint of what to do next.

Pages show `message` and `hint`; the command line prints them and exits non-zero. Anything that
is not an `MLCoreError` is a bug in our code, not a problem with the user's input.
"""

from __future__ import annotations


class MLCoreError(Exception):
    """Base class for every problem we explain to the user."""

    exit_code = 2

    def __init__(self, message: str, hint: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return f"{self.message} {self.hint}".strip()


class DataLoadError(MLCoreError):
    """The file could not be read as a table."""


class EmptyFileError(DataLoadError):
    """The file has no bytes, or a header and no rows."""


class NotATableError(DataLoadError):
    """The content is binary, an image or another non-tabular format."""


class UnsupportedFormatError(DataLoadError):
    """The format is recognised but we do not read it."""


class MalformedTableError(DataLoadError):
    """The text is a table with structural problems (ragged rows, bad JSON)."""


class LimitExceededError(DataLoadError):
    """The file or table is larger than the configured limits."""


class DatabaseError(DataLoadError):
    """A database could not be reached, browsed or queried; the message never holds a password."""


class QueryRefusedError(DatabaseError):
    """A query that is not one read-only SELECT (a write, several statements) is refused unrun."""


class SchemaError(MLCoreError):
    """A column, type or role request does not fit the data."""


class TargetError(SchemaError):
    """The chosen target cannot be learned (no values, one class, wrong task)."""


class SettingsError(MLCoreError):
    """A setting chosen outside the app (an environment variable, a command-line flag) is not valid."""
