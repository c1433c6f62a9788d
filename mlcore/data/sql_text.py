"""SQL as text: refuse anything but one read-only query before it is sent, and quote names for each dialect.

`check_select` is a first line of defence with a plain message; the read-only transaction (or file) the
database is opened with is the real one, so this check may stay simple and strict. It scans the text
once with the lexical rules the dialects share (quotes, comments, dollar quoting), so a `;` or a word
inside a string or a quoted name is never mistaken for a second statement or a write. A query may not
close a parenthesis it did not open: it cannot step out of the SELECT or COPY it is put inside.
"""

from __future__ import annotations

import re
from functools import cache

from sqlalchemy.dialects import mysql, postgresql, sqlite
from sqlalchemy.sql.compiler import IdentifierPreparer

from mlcore.errors import QueryRefusedError

READ_STARTS = ("SELECT", "WITH", "VALUES", "TABLE")
# Words with which a statement that starts like a query still changes data or locks rows: a data-modifying
# WITH (PostgreSQL), SELECT … INTO a new table or a file, SELECT … FOR UPDATE
WRITE_WORDS = frozenset({"INSERT", "UPDATE", "DELETE", "MERGE", "INTO"})
_TOKENS = re.compile(
    r"""
      (?P<space>\s+)
    | (?P<comment>--[^\n]*|/\*.*?\*/)
    | (?P<quoted>'(?:[^']|'')*'|"(?:[^"]|"")*"|`(?:[^`]|``)*`|\$(?P<tag>(?:[A-Za-z_]\w*)?)\$.*?\$(?P=tag)\$)
    | (?P<word>[A-Za-z_][A-Za-z0-9_$]*)
    | (?P<end>;)
    | (?P<other>.)
    """,
    re.S | re.X,
)
_ONLY_READS = "Only one query that reads rows can be run here: a SELECT (or WITH … SELECT, VALUES, TABLE)."


def check_select(query: str) -> str:
    """The query without its trailing semicolon, if it is one statement that only reads; else refused."""
    words: list[str] = []
    end = None  # where the first semicolon is
    depth = 0  # parentheses open: a query never closes more than it opened (the ones it is put inside)
    for token in _TOKENS.finditer(query):
        kind, text = token.lastgroup, token.group()
        if kind in ("space", "comment"):
            continue
        if end is not None:
            raise QueryRefusedError("The text holds more than one statement.", _ONLY_READS)
        if kind == "end":
            end = token.start()
        elif kind == "word":
            words.append(text.upper())
        elif text in ("(", ")"):
            depth += 1 if text == "(" else -1
            if depth < 0:
                break
    if depth:
        raise QueryRefusedError("The query's parentheses do not match.", "Close each ( with a ) and no more.")
    if not words:
        raise QueryRefusedError("The query is empty.", _ONLY_READS)
    if words[0] not in READ_STARTS:
        raise QueryRefusedError(f"A query starting with {words[0]} is not run here.", _ONLY_READS)
    writes = sorted(WRITE_WORDS.intersection(words))
    if writes:
        raise QueryRefusedError(
            f"The query contains {', '.join(writes)}, which changes data; databases are only read here.",
            _ONLY_READS,
        )
    return (query if end is None else query[:end]).strip()


@cache
def _preparer(dialect: str) -> IdentifierPreparer:
    """SQLAlchemy's rules for when a name needs quotes (reserved words, capitals, symbols) in `dialect`."""
    module = {"mysql": mysql, "mariadb": mysql, "sqlite": sqlite}.get(dialect, postgresql)  # DuckDB: as PG
    return module.dialect().identifier_preparer


def qualified_name(dialect: str, schema: str | None, name: str) -> str:
    """`schema.name` for SQL in `dialect`, each part quoted only where it must be (`public.sales`)."""
    quote = _preparer(dialect).quote
    return ".".join(quote(part) for part in (schema, name) if part is not None)


def quoted(name: str) -> str:
    """A name always in double quotes (PostgreSQL, SQLite, DuckDB), for columns the database named."""
    return '"' + name.replace('"', '""') + '"'
