"""Column names a table can safely carry: non-empty, unique, printable."""

from __future__ import annotations


def clean_column_names(raw: list[object]) -> tuple[list[str], list[str]]:
    """Name unnamed columns and rename duplicates, returning the notes to show the user."""
    notes: list[str] = []
    names: list[str] = []
    for position, value in enumerate(raw):
        name = "" if value is None else str(value).replace("\ufeff", "").strip()
        if not name or name.startswith("Unnamed:"):
            name = "index" if position == 0 else f"column_{position + 1}"
            where = "The first column" if position == 0 else f"Column {position + 1}"
            notes.append(f"{where} had no name; it is now called '{name}'.")
        names.append(name)
    seen: dict[str, int] = {}
    taken = set(names)
    for position, name in enumerate(names):
        seen[name] = seen.get(name, 0) + 1
        if seen[name] == 1:
            continue
        suffix = seen[name]
        while f"{name}_{suffix}" in taken:
            suffix += 1
        new = f"{name}_{suffix}"
        taken.add(new)
        names[position] = new
        notes.append(f"Two columns were named '{name}'; column {position + 1} is now '{new}'.")
    return names, notes
