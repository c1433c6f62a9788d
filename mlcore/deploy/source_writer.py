"""Python source for estimators, values and the workbench's own helpers, as the generated scripts
need it: `pipeline_code` writes a fitted pipeline's unfitted twin with its non-default parameters,
and `helper_source` copies our few custom classes and functions with the imports they use, so a
script needs nothing of ours.
"""

from __future__ import annotations

import ast
import functools
import importlib
import inspect
import itertools
import math
import re
import sys
import textwrap
from typing import Any

import numpy as np
from sklearn.base import clone

from mlcore.errors import MLCoreError

LINE = 100
_POSITIONAL = {"steps", "transformers", "func", "score_func"}  # written without their keyword
_ALIASES = {("imblearn.pipeline", "Pipeline"): "ImbPipeline"}


class CodegenError(MLCoreError):
    """A part of the pipeline cannot be written as code."""


# ---------- writing estimators as code ----------


class SourceWriter:
    """Turns estimators and values into Python source, collecting imports and copied helpers."""

    def __init__(self, seed: int) -> None:
        self.seed = seed
        self.imports: dict[tuple[str, str], str] = {}
        self.helpers: list[Any] = []
        self.constants: dict[str, list[str]] = {}
        self.named: dict[int, str] = {}  # objects already assigned to a variable of build_pipeline

    def name_of(self, obj: Any) -> str:
        """The name to use for a class or function, importing it (or copying ours) as needed."""
        module = obj.__module__
        if module.split(".")[0] == "mlcore":
            if obj not in self.helpers:
                self.helpers.append(obj)
            return obj.__name__
        public = _public_module(obj)
        key = (public, obj.__name__)
        if key not in self.imports:
            alias = _ALIASES.get(key, obj.__name__)
            if alias in self.imports.values():
                alias = f"{public.split('.')[0].capitalize()}{obj.__name__}"
            self.imports[key] = alias
        return self.imports[key]

    def value(self, value: Any, indent: int = 0, key: str = "") -> str:
        if key == "random_state" and value == self.seed and isinstance(value, int):
            return "SEED"
        if isinstance(value, str):
            return text_literal(value)
        if value is None or isinstance(value, bool):
            return repr(value)
        if isinstance(value, np.generic):
            return self.value(value.item(), indent, key)
        if isinstance(value, int):
            return repr(value)
        if isinstance(value, float):
            if math.isnan(value):
                return "np.nan"
            if math.isinf(value):
                return "np.inf" if value > 0 else "-np.inf"
            return repr(value)
        if isinstance(value, type) and value.__module__ == "numpy":
            return f"np.{value.__name__}"
        if isinstance(value, functools.partial):
            self.imports[("functools", "partial")] = "partial"
            parts = [self.name_of(value.func), *(self.value(a, indent + 4) for a in value.args)]
            parts += [f"{k}={self.value(v, indent + 4, k)}" for k, v in value.keywords.items()]
            return call_code("partial", parts, indent)
        if hasattr(value, "get_params") and not isinstance(value, type):
            return self.estimator(value, indent)
        if inspect.isfunction(value) or inspect.isclass(value) or inspect.isbuiltin(value):
            return self.name_of(value)
        if isinstance(value, (list, tuple)):
            items = [self.value(v, indent + 4) for v in value]
            return sequence_code(items, indent, "[]" if isinstance(value, list) else "()")
        if isinstance(value, dict):
            items = [f"{self.value(k)}: {self.value(v, indent + 4)}" for k, v in value.items()]
            return sequence_code(items, indent, "{}")
        raise CodegenError(
            f"A setting of type {type(value).__name__} cannot be written as code.",
            "train.py is left out of this bundle; the model files are still complete.",
        )

    def estimator(self, estimator: Any, indent: int) -> str:
        cls = type(estimator)
        name = self.name_of(cls)
        parameters = [p for p in inspect.signature(cls.__init__).parameters.values() if p.name != "self"]
        params = estimator.get_params(deep=False)
        args = []
        for position, parameter in enumerate(parameters):
            key = parameter.name
            if key not in params:
                continue
            value = params[key]
            if parameter.default is not inspect.Parameter.empty and _same(value, parameter.default):
                continue
            if key == "transformers" and cls.__name__ == "ColumnTransformer":
                text = self._transformers(value, indent + 4)
            else:
                text = self.value(value, indent + 4, key)
            args.append(text if position == 0 and key in _POSITIONAL else f"{key}={text}")
        named = {p.name for p in parameters}
        for key, value in params.items():  # settings taken through **kwargs (XGBoost): None is their default
            if key not in named and value is not None:
                args.append(f"{key}={self.value(value, indent + 4, key)}")
        return call_code(name, args, indent)

    def _constant(self, name: str) -> str:
        """`name`, or `name_2`, `name_3` …: parts whose names differ only in punctuation (text columns
        `a"b` and `a'b`) read as the same identifier, and each must keep its own column list."""
        return next(
            c for i in itertools.count(1) if (c := name if i == 1 else f"{name}_{i}") not in self.constants
        )

    def _transformers(self, parts: list, indent: int) -> str:
        """Column-transformer parts, their column lists named as constants at the top of the script."""
        items = []
        for part, transformer, columns in parts:
            constant = self._constant(re.sub(r"\W", "_", f"{part}_columns").upper())
            self.constants[constant] = [str(c) for c in columns]
            if isinstance(transformer, str):
                body = text_literal(transformer)
            elif id(transformer) in self.named:
                body = self.named[id(transformer)]
            else:
                body = self.value(transformer, indent + 8)
            items.append(call_code("", [text_literal(part), body, constant], indent + 4))
        return sequence_code(items, indent, "[]")


def text_literal(value: str) -> str:
    """A string literal in double quotes (the style of the generated files), repr() when it must."""
    if '"' in value or "\\" in value or not value.isprintable():
        return repr(value)
    return f'"{value}"'


def _same(value: Any, default: Any) -> bool:
    if value is default:
        return True
    if isinstance(value, float) and isinstance(default, float) and math.isnan(value) and math.isnan(default):
        return True
    if isinstance(value, (str, int, float, bool, tuple)) and type(value) is type(default):
        return value == default
    return False


def call_code(name: str, args: list[str], indent: int) -> str:
    flat = f"{name}({', '.join(args)})"
    if len(flat) + indent <= LINE and "\n" not in flat:
        return flat
    pad = " " * (indent + 4)
    return f"{name}(\n" + "".join(f"{pad}{a},\n" for a in args) + " " * indent + ")"


def sequence_code(items: list[str], indent: int, brackets: str) -> str:
    left, right = brackets[0], brackets[1]
    if brackets == "()" and len(items) == 1:
        return f"({items[0]},)"
    flat = left + ", ".join(items) + right
    if len(flat) + indent <= LINE and "\n" not in flat:
        return flat
    pad = " " * (indent + 4)
    return left + "\n" + "".join(f"{pad}{i},\n" for i in items) + " " * indent + right


def _public_module(obj: Any) -> str:
    """The shortest public module path that exposes `obj` (sklearn.ensemble, not sklearn.ensemble._forest)."""
    module = obj.__module__
    parts = module.split(".")
    for end in range(1, len(parts) + 1):
        if any(p.startswith("_") for p in parts[1:end]):
            break
        candidate = ".".join(parts[:end])
        try:
            if getattr(importlib.import_module(candidate), obj.__name__, None) is obj:
                return candidate
        except ImportError:
            continue
    return module


# ---------- copying the workbench's own helpers ----------


def _module_imports(module: Any) -> dict[str, str]:
    """Each name a module imports at its top, with the import statement that binds it."""
    tree = ast.parse(inspect.getsource(module))
    found: dict[str, str] = {}
    for node in tree.body:
        if isinstance(node, ast.Import):
            for alias in node.names:
                bound = alias.asname or alias.name.split(".")[0]
                text = f"import {alias.name}" + (f" as {alias.asname}" if alias.asname else "")
                found[bound] = text
        elif isinstance(node, ast.ImportFrom) and node.module and node.module != "__future__":
            for alias in node.names:
                bound = alias.asname or alias.name
                found[bound] = f"from {node.module} import {alias.name}" + (
                    f" as {alias.asname}" if alias.asname else ""
                )
    return found


def helper_source(objects: list[Any]) -> tuple[list[str], list[str], list[str]]:
    """(import lines, constant lines, definitions) for workbench helpers and what they use."""
    imports: list[str] = []
    constants: list[str] = []
    definitions: list[str] = []
    seen: set[tuple[str, str]] = set()

    def visit(obj: Any) -> None:
        key = (obj.__module__, obj.__qualname__)
        if key in seen:
            return
        seen.add(key)
        module = sys.modules[obj.__module__]
        source = textwrap.dedent(inspect.getsource(obj))
        module_imports = _module_imports(module)
        used = {n.id for n in ast.walk(ast.parse(source)) if isinstance(n, ast.Name)}
        for name in sorted(used):
            if name == obj.__name__ or name not in vars(module):
                continue
            target = vars(module)[name]
            ours = str(getattr(target, "__module__", "")).split(".")[0] == "mlcore"
            if ours and (inspect.isfunction(target) or inspect.isclass(target)):
                visit(target)  # defined by the workbench (here or in another module): copy it too
            elif name in module_imports and not module_imports[name].startswith(
                ("from mlcore", "import mlcore")
            ):
                if module_imports[name] not in imports:
                    imports.append(module_imports[name])
            elif not inspect.ismodule(target) and _literal(target):
                line = f"{name} = {target!r}"
                if line not in constants:
                    constants.append(line)
        definitions.append(source.rstrip())

    for obj in objects:
        visit(obj)
    return imports, constants, definitions


def _literal(value: Any) -> bool:
    try:
        return ast.literal_eval(repr(value)) == value
    except (ValueError, SyntaxError):
        return False


def pipeline_code(pipeline: Any, seed: int) -> tuple[str, SourceWriter]:
    """The body of `build_pipeline()`: one variable per column group, then the pipeline itself."""
    writer = SourceWriter(seed)
    unfitted = clone(pipeline)
    lines = []
    steps = getattr(unfitted, "steps", None)
    prep = steps[0][1] if steps else None
    if prep is not None and type(prep).__name__ == "ColumnTransformer":
        for part, transformer, _ in prep.transformers:
            if isinstance(transformer, str):
                continue
            variable = re.sub(r"\W", "_", part).lower()
            if not variable.isidentifier() or variable in writer.named.values():
                variable = f"part_{len(writer.named)}"
            lines.append(f"    {variable} = {writer.value(transformer, 4)}")
            writer.named[id(transformer)] = variable
        lines.append(f"    prep = {writer.value(prep, 4)}")
        writer.named[id(prep)] = "prep"
        items = [
            f"({text_literal(name)}, {writer.named.get(id(step)) or writer.value(step, 8)})"
            for name, step in steps
        ]
        lines.append(
            f"    return {call_code(writer.name_of(type(unfitted)), [sequence_code(items, 8, '[]')], 4)}"
        )
    else:
        lines.append(f"    return {writer.value(unfitted, 4)}")
    return "\n".join(lines), writer


def import_block(writer: SourceWriter, extra: list[str]) -> str:
    """Import lines merged per module, standard library first (as isort would write them)."""
    plain: set[str] = set()
    names: dict[str, set[str]] = {}
    for line in extra:
        if line.startswith("import "):
            plain.add(line)
            continue
        module, _, imported = line[len("from ") :].partition(" import ")
        names.setdefault(module, set()).update(n.strip() for n in imported.split(","))
    for (module, name), alias in writer.imports.items():
        names.setdefault(module, set()).add(name if alias == name else f"{name} as {alias}")
    sections: list[list[str]] = [[], []]
    for line in sorted(plain):
        sections[_third_party(line.split()[1])].append(line)
    for module in sorted(names):
        sections[_third_party(module)].append(f"from {module} import {', '.join(sorted(names[module]))}")
    for section in sections:
        section.sort(key=lambda line: (line.startswith("from "), line.split()[1]))
    return "\n\n".join("\n".join(section) for section in sections if section)


def _third_party(module: str) -> int:
    return 0 if module.split(".")[0] in sys.stdlib_module_names else 1
