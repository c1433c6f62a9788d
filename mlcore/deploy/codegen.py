"""Standalone `train.py` and `predict.py` for an exported run: plain pandas / scikit-learn code.

The pipeline in `train.py` is written from the run's own fitted pipeline (its estimators and their
non-default parameters), so the script builds exactly what was trained. The few helpers the
workbench defines itself (the outlier clipper, the date expander, the XGBoost label wrapper …) are
copied into the script from their source, with the imports they use, so the script needs nothing
of ours. Reading the file, the split and cross-validation mirror `mlcore.data.readers`, `mlcore.train.split`
and `mlcore.train.fit` step for step, and the metrics are `mlcore.metrics.score`'s own source, copied in;
tests run the script and compare its numbers.
"""

from __future__ import annotations

import ast
import functools
import importlib
import inspect
import math
import re
import shlex
import sys
import textwrap
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import resources
from typing import Any

import numpy as np
from sklearn.base import clone

from mlcore import __version__
from mlcore.data.readers import NULL_TOKENS
from mlcore.data.tidy import plain_numbers
from mlcore.dataset import Dataset, FileFormat
from mlcore.errors import MLCoreError
from mlcore.evaluate.decision_rule import DecisionRule
from mlcore.metrics import score
from mlcore.schema import ColumnType, Task
from mlcore.train.run_data import feature_kinds
from mlcore.train.runs import Run

LINE = 100
_POSITIONAL = {"steps", "transformers", "func", "score_func"}  # written without their keyword
_ALIASES = {("imblearn.pipeline", "Pipeline"): "ImbPipeline"}


class CodegenError(MLCoreError):
    """A part of the pipeline cannot be written as code."""


# ---------- how the original file is read ----------


@dataclass(frozen=True)
class ReadHints:
    """How the workbench read the original file, so the script reads it the same way."""

    file_format: str = "csv"  # csv, parquet, excel, json
    sep: str = ","
    decimal: str = "."
    encoding: str = "utf-8"
    sheet: str | None = None
    drop_bad_rows: bool = False
    thousands: tuple[str, ...] = ()  # text columns of numbers written with thousands separators
    day_first: bool = False  # dates such as 05/02/2024 read day first


_SCRIPT_FORMATS = {
    FileFormat.DELIMITED: "csv",
    FileFormat.PARQUET: "parquet",
    FileFormat.EXCEL: "excel",
    FileFormat.JSON: "json",
}


def read_hints(dataset: Dataset) -> ReadHints:
    """The reading options: what the reader recorded about the file (`Dataset.read_info`)."""
    info = dataset.read_info
    return ReadHints(
        _SCRIPT_FORMATS[info.file_format],
        info.delimiter,
        info.decimal,
        info.encoding,
        info.sheet,
        info.dropped_rows > 0,
        info.thousands_columns,
        info.day_first,
    )


def has_original_file(dataset: Dataset) -> bool:
    """Uploads and local files exist on the user's machine; samples and generated tables do not."""
    return dataset.source.startswith(("upload:", "file:"))


# ---------- writing estimators as code ----------


class _Writer:
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
            return _text(value)
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
            return _call("partial", parts, indent)
        if hasattr(value, "get_params") and not isinstance(value, type):
            return self.estimator(value, indent)
        if inspect.isfunction(value) or inspect.isclass(value) or inspect.isbuiltin(value):
            return self.name_of(value)
        if isinstance(value, (list, tuple)):
            items = [self.value(v, indent + 4) for v in value]
            return _sequence(items, indent, "[]" if isinstance(value, list) else "()")
        if isinstance(value, dict):
            items = [f"{self.value(k)}: {self.value(v, indent + 4)}" for k, v in value.items()]
            return _sequence(items, indent, "{}")
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
        return _call(name, args, indent)

    def _transformers(self, parts: list, indent: int) -> str:
        """Column-transformer parts, their column lists named as constants at the top of the script."""
        items = []
        for part, transformer, columns in parts:
            constant = re.sub(r"\W", "_", f"{part}_columns").upper()
            self.constants[constant] = [str(c) for c in columns]
            if isinstance(transformer, str):
                body = _text(transformer)
            elif id(transformer) in self.named:
                body = self.named[id(transformer)]
            else:
                body = self.value(transformer, indent + 8)
            items.append(_call("", [_text(part), body, constant], indent + 4))
        return _sequence(items, indent, "[]")


def _text(value: str) -> str:
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


def _call(name: str, args: list[str], indent: int) -> str:
    flat = f"{name}({', '.join(args)})"
    if len(flat) + indent <= LINE and "\n" not in flat:
        return flat
    pad = " " * (indent + 4)
    return f"{name}(\n" + "".join(f"{pad}{a},\n" for a in args) + " " * indent + ")"


def _sequence(items: list[str], indent: int, brackets: str) -> str:
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


# ---------- the scripts ----------


def pipeline_code(pipeline: Any, seed: int) -> tuple[str, _Writer]:
    """The body of `build_pipeline()`: one variable per column group, then the pipeline itself."""
    writer = _Writer(seed)
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
            f"({_text(name)}, {writer.named.get(id(step)) or writer.value(step, 8)})" for name, step in steps
        ]
        lines.append(f"    return {_call(writer.name_of(type(unfitted)), [_sequence(items, 8, '[]')], 4)}")
    else:
        lines.append(f"    return {writer.value(unfitted, 4)}")
    return "\n".join(lines), writer


def _import_block(writer: _Writer, extra: list[str]) -> str:
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


def _columns_used(run: Run, dataset: Dataset, kinds: dict[str, ColumnType]) -> list[str]:
    used = [*kinds, run.target]
    for extra in (run.split.group_column, run.split.time_column):
        if extra and extra not in used:
            used.append(extra)
    return used


def train_script(run: Run, dataset: Dataset, hints: ReadHints, data_file: str, sample_cap: int | None) -> str:
    """The standalone training script for a run (see the module docstring)."""
    kinds = feature_kinds(run.pipeline)
    expression, writer = pipeline_code(run.pipeline, run.seed)
    helper_imports, helper_constants, helpers = helper_source([*writer.helpers, plain_numbers, score])
    frame = dataset.frame
    used = _columns_used(run, dataset, kinds)
    numbers = [c for c in used if _is_number(frame[c])]
    dates = [c for c in used if str(frame[c].dtype).startswith("datetime64")]
    constants = "\n".join(f"{name} = {_list_literal(values)}" for name, values in writer.constants.items())
    reading, training = template("reading"), template("training")
    split_imports, split_code = _split_code(run)
    docstring, docstring_value = _train_docstring(run, dataset, data_file)
    parts = [
        docstring,
        "from __future__ import annotations",
        "",
        _import_block(writer, [*reading.imports, *training.imports, *split_imports, *helper_imports]),
        "",
        f"SEED = {run.seed}",
        f"TARGET = {_text(run.target)}",
        f"TASK = {_text(run.task.value)}",
        f"FEATURES = {_list_literal(list(kinds))}",
        f"SAMPLE_CAP = {sample_cap!r}  # rows a slow model trains on (None: all)",
        f"EXPECTED_ROWS, EXPECTED_COLUMNS = {dataset.n_rows}, {dataset.n_columns}",
        constants,
        "",
        _reader_constants(hints, list(frame.columns), numbers, dates),
        *helper_constants,
        "",
        "",
        reading.code,
        "",
        "",
        "\n\n\n".join(helpers),
        "",
        "",
        "def build_pipeline():",
        '    """The same preprocessing and model as the workbench run, unfitted."""',
        expression,
        "",
        "",
        split_code,
        "",
        "",
        training.code,
    ]
    return check_script("\n".join(p for p in parts if p is not None).rstrip() + "\n", docstring_value)


def _is_number(column: Any) -> bool:
    dtype = column.dtype
    return (
        np.issubdtype(dtype, np.number) if isinstance(dtype, np.dtype) else str(dtype) in ("Int64", "Float64")
    )


def _list_literal(values: list[str]) -> str:
    flat = "[" + ", ".join(_text(str(v)) for v in values) + "]"
    if len(flat) <= LINE - 30:
        return flat
    return "[\n" + "".join(f"    {_text(str(v))},\n" for v in values) + "]"


def _train_docstring(run: Run, dataset: Dataset, data_file: str) -> tuple[str, str]:
    """The script's docstring as written in the source, and as Python reads it (for `check_script`).

    The user's names in it are escaped, so they read as themselves and cannot end the docstring.
    """
    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")

    def text(label: str, name: str, file: str) -> str:
        return f"""Rebuild '{label}' on '{name}' exactly as the ML Workbench trained it.

    python train.py {file}                      # prints the metrics; the last line is JSON
    python train.py {file} --save model.joblib  # also saves the model trained on the training rows

Plain pandas / scikit-learn code: nothing of the workbench is needed. With the library versions of
requirements.txt it prints the same cross-validation and holdout metrics as model_card.json.
Generated by mlcore {__version__} on {stamp} from run {run.id}.
"""

    names = (run.label, dataset.name, shlex.quote(data_file))
    return '"""' + text(*map(_in_docstring, names)) + '"""', text(*names)


def _in_docstring(text: str) -> str:
    """`text` as it must be written inside a triple-quoted string to read as itself: backslashes and
    double quotes escaped (so it cannot close the string), unprintable characters as escapes."""
    out = []
    for char in text:
        if char in '\\"':
            out.append("\\" + char)
        elif char.isprintable():
            out.append(char)
        else:
            out.append(repr(char)[1:-1])
    return "".join(out)


# Top-level statements a generated script may hold: its docstring first, then imports, constants,
# definitions and the `if __name__ == "__main__":` guard. Anything else was not written by us.
_TOP_LEVEL = (ast.Import, ast.ImportFrom, ast.Assign, ast.FunctionDef, ast.ClassDef, ast.If)


def check_script(source: str, docstring: str) -> str:
    """`source` if it parses to exactly what we generate: this docstring and only our kinds of statement.

    A last line of defence behind the escaping: if a user's string ever closed a literal, the script
    would hold a statement or a docstring we did not write, and it is refused instead of written.
    """
    refused = CodegenError(
        "The generated script did not check out as the code we write, so it was left out.",
        "Rename the file or the columns with unusual quotes and export again; the model files are complete.",
    )
    try:
        tree = ast.parse(source)
    except SyntaxError:
        raise refused from None
    if ast.get_docstring(tree, clean=False) != docstring:
        raise refused
    for node in tree.body[1:]:
        if not isinstance(node, _TOP_LEVEL):
            raise refused
        if isinstance(node, ast.If) and ast.unparse(node.test) != "__name__ == '__main__'":
            raise refused
        if isinstance(node, ast.Assign) and not all(_names_only(t) for t in node.targets):
            raise refused
    return source


def _names_only(target: ast.expr) -> bool:
    if isinstance(target, ast.Tuple):
        return all(_names_only(t) for t in target.elts)
    return isinstance(target, ast.Name)


def _reader_constants(hints: ReadHints, columns: list[str], numbers: list[str], dates: list[str]) -> str:
    """How `read_data` (templates/reading.py) reads the file: the reader's facts as constants."""
    # The workbench reads plain UTF-8 with Arrow, whose numbers are correctly rounded ('round_trip');
    # decimal commas, other encodings and dropped rows go through pandas' default parser.
    arrow = hints.encoding in ("utf-8", "utf-8-sig") and hints.decimal == "." and not hints.drop_bad_rows
    return "\n".join(
        [
            f"COLUMNS = {_list_literal([str(c) for c in columns])}  # the names the workbench gave them",
            f"NUMBERS = {_list_literal(numbers)}  # read as numbers",
            f"DATES = {_list_literal(dates)}  # read as dates",
            f"THOUSANDS_COLUMNS = {_list_literal(list(hints.thousands))}  # numbers written 1,234",
            f"DAY_FIRST = {hints.day_first!r}  # dates such as 05/02/2024 read day first",
            f"FILE_FORMAT = {_text(hints.file_format)}",
            f"SHEET = {_text(hints.sheet) if hints.sheet else 0}  # Excel: the sheet read",
            f"DELIMITER = {_text(hints.sep)}",
            f"DECIMAL = {_text(hints.decimal)}",
            f"ENCODING = {_text(hints.encoding)}",
            f"DROP_RAGGED = {hints.drop_bad_rows!r}  # rows with another number of fields were left out",
            f"FLOAT_PRECISION = {_text('round_trip') if arrow else None}",
            f"NULL_TOKENS = {_list_literal(NULL_TOKENS)}",
        ]
    )


@dataclass(frozen=True)
class Template:
    """A template's imports (one statement each) and its code, without what the script defines."""

    imports: tuple[str, ...]
    code: str


def template(name: str) -> Template:
    """`templates/<name>.py` split for the script: its docstring, `from __future__` and `_script`
    imports dropped, its other imports for the script's import block, the rest as code."""
    source = (resources.files("mlcore.deploy.templates") / f"{name}.py").read_text(encoding="utf-8")
    body = ast.parse(source).body
    imports, last = [], 0
    for node in body:
        if isinstance(node, ast.Import):
            imports += [f"import {a.name}" + (f" as {a.asname}" if a.asname else "") for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.module not in ("__future__", "_script"):
                names = ", ".join(a.name + (f" as {a.asname}" if a.asname else "") for a in node.names)
                imports.append(f"from {node.module} import {names}")
        elif not (isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant)):
            break
        last = node.end_lineno
    code = "\n".join(source.splitlines()[last:]).strip("\n")
    return Template(tuple(imports), code)


def _split_code(run: Run) -> tuple[list[str], str]:
    """`split_rows(frame)`: the holdout and folds `mlcore.train.split.make_split` makes for these settings."""
    spec = run.split
    classification = run.task is Task.CLASSIFICATION
    imports: list[str] = []
    lines = [
        "def split_rows(frame):",
        '    """Training and holdout rows (positions), and the folds (positions into the training rows)."""',
        "    rows = np.flatnonzero(frame[TARGET].notna().to_numpy())",
        "    y = frame[TARGET].to_numpy()[rows]",
    ]
    if spec.time_column:
        lines += [
            f"    times = frame[{_text(spec.time_column)}].iloc[rows].reset_index(drop=True)",
            "    rows = rows[times.sort_values(kind='stable', na_position='first').index.to_numpy()]",
            "    y = frame[TARGET].to_numpy()[rows]",
        ]
    if spec.test_size == 0:
        lines.append("    train, test = rows, rows[:0]")
    elif spec.time_column:
        lines += [
            f"    n_test = max(1, round(len(rows) * {spec.test_size!r}))",
            "    train, test = rows[:-n_test], rows[-n_test:]",
        ]
    elif spec.group_column:
        imports.append("from sklearn.model_selection import GroupShuffleSplit")
        lines += [
            f"    groups = frame[{_text(spec.group_column)}].to_numpy()[rows]",
            f"    splitter = GroupShuffleSplit(n_splits=1, test_size={spec.test_size!r}, random_state=SEED)",
            "    fit, held = next(splitter.split(rows, y, groups))",
            "    train, test = rows[fit], rows[held]",
        ]
    else:
        stratify = "y" if classification else "None"
        lines.append(
            f"    train, test = train_test_split(rows, test_size={spec.test_size!r}, random_state=SEED, "
            f"stratify={stratify})"
        )
    k = spec.cv_folds
    if k == 0:
        lines.append("    return train, test, []")
        return imports, "\n".join(lines)
    lines.append("    y_train = frame[TARGET].to_numpy()[train]")
    groups = "None"
    if spec.time_column:
        imports.append("from sklearn.model_selection import TimeSeriesSplit")
        splitter = f"TimeSeriesSplit(n_splits={k})"
    elif spec.group_column:
        lines.append(f"    groups = frame[{_text(spec.group_column)}].to_numpy()[train]")
        groups = "groups"
        name = "StratifiedGroupKFold" if classification else "GroupKFold"
        imports.append(f"from sklearn.model_selection import {name}")
        splitter = f"{name}(n_splits={k}, shuffle=True, random_state=SEED)"
    else:
        name = "StratifiedKFold" if classification else "KFold"
        imports.append(f"from sklearn.model_selection import {name}")
        splitter = f"{name}(n_splits={k}, shuffle=True, random_state=SEED)"
    lines += [
        f"    splitter = {splitter}",
        f"    folds = list(splitter.split(np.arange(len(y_train)), y_train, {groups}))",
        "    return train, test, folds",
    ]
    return imports, "\n".join(lines)


def predict_script(
    features: list[str],
    numbers: list[str],
    dates: list[str],
    target: str,
    task: Task,
    rule: DecisionRule | None = None,
) -> str:
    """A short script that loads model.joblib and predicts a CSV, Excel or Parquet file (with the
    decision rule chosen on the Evaluate page, when there is one)."""
    writer = _Writer(0)
    threshold = "None" if rule is None else repr(float(rule.threshold))
    classes = (
        "None, None" if rule is None else f"{writer.value(rule.positive)}, {writer.value(rule.negative)}"
    )
    program = template("predict")
    parts = [
        f'"""{_PREDICT_DOCSTRING}"""',
        "from __future__ import annotations",
        "",
        _import_block(_Writer(0), list(program.imports)),
        "",
        f"FEATURES = {_list_literal(features)}",
        f"NUMBERS = {_list_literal(numbers)}",
        f"DATES = {_list_literal(dates)}",
        f"TARGET = {_text(target)}",
        f"TASK = {_text(task.value)}",
        f"NULL_TOKENS = {_list_literal(NULL_TOKENS)}",
        "# The decision rule chosen on the Evaluate page: POSITIVE when its score is above THRESHOLD",
        "# (None: the model's own rule, the most probable class).",
        f"THRESHOLD = {threshold}",
        f"POSITIVE, NEGATIVE = {classes}",
        program.code,
    ]
    source = "\n".join(parts) + "\n"
    return check_script(source, _PREDICT_DOCSTRING)


_PREDICT_DOCSTRING = """Predict with this bundle's model: python predict.py NEW_DATA.csv [-o predictions.csv]

Loads model.joblib (plain scikit-learn + joblib; no ML Workbench needed), checks that the file has
the columns the model was trained on, and writes the rows with the prediction appended. Cells that
start like a spreadsheet formula are escaped in the CSV output.
"""
