"""The layout's rule (issue 12): stages import downward only, and nothing in mlcore imports the UI."""

from __future__ import annotations

import ast
from pathlib import Path

MLCORE = Path(__file__).resolve().parents[2] / "mlcore"
FOUNDATION = {
    "errors",
    "settings",
    "schema",
    "dataset",
    "origin",
    "formatting",
    "markup",
    "metrics",
    "compute",
    "results",
}
COMPOSITION = {"workspace", "cli", "commands", "__main__", "__init__"}  # they put the stages together
# What each stage may import besides the foundation: the stages below it.
BELOW = {
    "data": set(),
    "explore": {"data"},
    "train": {"data"},
    "evaluate": {"data", "train"},
    "explain": {"data", "train"},
    "discover": {"data", "train", "evaluate", "explain", "deploy", "track"},
    "deploy": {"data", "train", "evaluate"},
    "track": {"data", "train", "evaluate", "deploy", "teach"},
    "serve": {"data", "train", "evaluate", "deploy", "track"},
    "monitor": {"data", "train", "evaluate", "explain", "deploy", "track", "serve"},
    "teach": {"data", "train", "evaluate"},
}


def _part(dotted: str) -> str:
    """The foundation module, stage or composition module a dotted mlcore name belongs to."""
    return dotted.split(".")[1] if dotted.count(".") else "__init__"


def _imports(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("mlcore"):
            names.add(node.module)
            if node.module == "mlcore":  # `from mlcore import explain`: a module, not `__version__`
                names.update(f"mlcore.{a.name}" for a in node.names if not a.name.startswith("__"))
        elif isinstance(node, ast.Import):
            names.update(a.name for a in node.names if a.name.startswith("mlcore"))
    return names


def test_stages_import_downward_only():
    wrong = []
    for path in sorted(MLCORE.rglob("*.py")):
        where = path.relative_to(MLCORE).parts[0].removesuffix(".py")
        if where in COMPOSITION:
            continue
        allowed = FOUNDATION | ({where} | BELOW[where] if where in BELOW else set())
        for name in _imports(path):
            part = _part(name)
            if part == "__init__" or part in allowed:
                continue
            wrong.append(f"{path.relative_to(MLCORE)} imports {name}")
    assert not wrong, "\n".join(wrong)


def test_the_core_never_imports_the_ui():
    for path in MLCORE.rglob("*.py"):
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            modules = [node.module or ""] if isinstance(node, ast.ImportFrom) else []
            modules += [a.name for a in node.names] if isinstance(node, ast.Import) else []
            assert not [m for m in modules if m.split(".")[0] in ("streamlit", "ui", "pages")], path


def test_our_transformers_import_nothing_of_mlcore():
    """A bundle can carry this module beside the model, and a .skops file names its types."""
    assert not _imports(MLCORE / "train" / "transformers.py")


def test_every_stage_says_what_it_owns_and_may_import():
    for stage in BELOW:
        doc = ast.get_docstring(ast.parse((MLCORE / stage / "__init__.py").read_text()))
        assert doc and "Imports:" in doc, stage
