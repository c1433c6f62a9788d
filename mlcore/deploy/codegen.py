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
import shlex
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import resources
from typing import Any

import numpy as np

from mlcore import __version__
from mlcore.data.readers import NULL_TOKENS
from mlcore.data.tidy import plain_numbers
from mlcore.dataset import Dataset, FileFormat
from mlcore.deploy.source_writer import (
    LINE,
    CodegenError,
    SourceWriter,
    helper_source,
    import_block,
    pipeline_code,
    text_literal,
)
from mlcore.evaluate.decision_rule import DecisionRule
from mlcore.metrics import score
from mlcore.schema import ColumnType, Task
from mlcore.train.run_data import feature_kinds
from mlcore.train.runs import Run

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
    """Uploads and local files exist on the user's machine; samples, generated tables and database
    reads do not, and a random sample of a large file is not the file (the script trains on the rows
    the run trained on, carried with it)."""
    return dataset.origin is None and dataset.source.startswith(("upload:", "file:"))


# ---------- the scripts ----------


def _columns_used(run: Run, dataset: Dataset, kinds: dict[str, ColumnType]) -> list[str]:
    used = [*kinds, run.target]
    for extra in (run.split.group_column, run.split.time_column):
        if extra and extra not in used:
            used.append(extra)
    return used


def train_script(run: Run, dataset: Dataset, hints: ReadHints, data_file: str, sample_cap: int | None) -> str:
    """The standalone training script for a run (see the module docstring)."""
    kinds = feature_kinds(run.pipeline)
    settings = [
        f"TARGET = {text_literal(run.target)}",
        f"TASK = {text_literal(run.task.value)}",
        f"FEATURES = {list_literal(list(kinds))}",
        f"SAMPLE_CAP = {sample_cap!r}  # rows a slow model trains on (None: all)",
    ]
    return pipeline_script(
        _train_docstring(run, dataset, data_file),
        PipelineSource(
            run.pipeline, run.seed, "The same preprocessing and model as the workbench run, unfitted."
        ),
        ScriptData(dataset, hints, _columns_used(run, dataset, kinds)),
        "training",
        settings,
        [score],
        _split_code(run),
    )


@dataclass(frozen=True)
class PipelineSource:
    """The fitted pipeline a script rebuilds, unfitted, as `build_pipeline()` (with this docstring)."""

    pipeline: Any
    seed: int
    docstring: str


@dataclass(frozen=True)
class ScriptData:
    """The dataset whose file a script reads as the workbench read it, and the columns it uses."""

    dataset: Dataset
    hints: ReadHints
    used: list[str]


def pipeline_script(
    docstring: tuple[str, str],
    source: PipelineSource,
    data: ScriptData,
    program: str,
    settings: list[str],
    helpers: list[Any],
    extra: tuple[list[str], str] = ([], ""),
) -> str:
    """A standalone script that reads the data file (templates/reading.py), defines `build_pipeline()`
    and runs `templates/<program>.py`: `docstring` as written and as read (`docstring_source`), the
    script's own constants after SEED (`settings`), the workbench `helpers` it copies, and more imports
    and code to put before the program (`extra`). Refused by `check_script` unless it is what we write."""
    expression, writer = pipeline_code(source.pipeline, source.seed)
    helper_imports, helper_constants, copied = helper_source([*writer.helpers, plain_numbers, *helpers])
    constants = "\n".join(f"{name} = {list_literal(values)}" for name, values in writer.constants.items())
    reading, main = template("reading"), template(program)
    extra_imports, extra_code = extra
    parts = [
        docstring[0],
        "from __future__ import annotations",
        "",
        import_block(writer, [*reading.imports, *main.imports, *extra_imports, *helper_imports]),
        "",
        f"SEED = {source.seed}",
        *settings,
        f"EXPECTED_ROWS, EXPECTED_COLUMNS = {data.dataset.n_rows}, {data.dataset.n_columns}",
        constants,
        "",
        _reader_constants(data.hints, data.dataset, data.used),
        *helper_constants,
        "",
        "",
        reading.code,
        "",
        "",
        "\n\n\n".join(copied),
        "",
        "",
        "def build_pipeline():",
        f'    """{source.docstring}"""',
        expression,
        "",
        "",
        *([extra_code, "", ""] if extra_code else []),
        main.code,
    ]
    return check_script("\n".join(parts).rstrip() + "\n", docstring[1])


def _is_number(column: Any) -> bool:
    dtype = column.dtype
    return (
        np.issubdtype(dtype, np.number) if isinstance(dtype, np.dtype) else str(dtype) in ("Int64", "Float64")
    )


def list_literal(values: list[str]) -> str:
    flat = "[" + ", ".join(text_literal(str(v)) for v in values) + "]"
    if len(flat) <= LINE - 30:
        return flat
    return "[\n" + "".join(f"    {text_literal(str(v))},\n" for v in values) + "]"


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

    return docstring_source(text, run.label, dataset.name, shlex.quote(data_file))


def docstring_source(text: Callable[..., str], *names: str) -> tuple[str, str]:
    """A script's docstring `text(*names)` as written in the source, the user's `names` escaped so that
    they read as themselves and cannot end it, and as Python reads it (for `check_script`)."""
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
_TOP_LEVEL = (
    ast.Import,
    ast.ImportFrom,
    ast.Assign,
    ast.FunctionDef,
    ast.AsyncFunctionDef,
    ast.ClassDef,
    ast.If,
)


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


def _reader_constants(hints: ReadHints, dataset: Dataset, used: list[str]) -> str:
    """How `read_data` (templates/reading.py) reads the dataset's file, as constants: the reader's facts,
    and which of the columns a script uses (`used`) are read as numbers and dates."""
    frame = dataset.frame
    numbers = [c for c in used if _is_number(frame[c])]
    dates = [c for c in used if str(frame[c].dtype).startswith("datetime64")]
    # The workbench reads plain UTF-8 with Arrow, whose numbers are correctly rounded ('round_trip');
    # decimal commas, other encodings and dropped rows go through pandas' default parser.
    arrow = hints.encoding in ("utf-8", "utf-8-sig") and hints.decimal == "." and not hints.drop_bad_rows
    return "\n".join(
        [
            f"COLUMNS = {list_literal([str(c) for c in frame.columns])}  # the names the workbench gave them",
            f"NUMBERS = {list_literal(numbers)}  # read as numbers",
            f"DATES = {list_literal(dates)}  # read as dates",
            f"THOUSANDS_COLUMNS = {list_literal(list(hints.thousands))}  # numbers written 1,234",
            f"DAY_FIRST = {hints.day_first!r}  # dates such as 05/02/2024 read day first",
            f"FILE_FORMAT = {text_literal(hints.file_format)}",
            f"SHEET = {text_literal(hints.sheet) if hints.sheet else 0}  # Excel: the sheet read",
            f"DELIMITER = {text_literal(hints.sep)}",
            f"DECIMAL = {text_literal(hints.decimal)}",
            f"ENCODING = {text_literal(hints.encoding)}",
            f"DROP_RAGGED = {hints.drop_bad_rows!r}  # rows with another number of fields were left out",
            f"FLOAT_PRECISION = {text_literal('round_trip') if arrow else None}",
            f"NULL_TOKENS = {list_literal(NULL_TOKENS)}",
        ]
    )


@dataclass(frozen=True)
class Template:
    """A template's imports (one statement each) and its code, without what the script defines."""

    imports: tuple[str, ...]
    code: str


def template(name: str) -> Template:
    """`templates/<name>.py` split for the script (see `module_parts`)."""
    return module_parts(
        (resources.files("mlcore.deploy.templates") / f"{name}.py").read_text(encoding="utf-8")
    )


def module_parts(source: str) -> Template:
    """A module's source split for a script: its docstring, `from __future__` imports and imports of
    `_script` or `mlcore` (which the script defines itself) dropped, its other imports for the script's
    import block, the rest as code."""
    body = ast.parse(source).body
    imports, last = [], 0
    for node in body:
        if isinstance(node, ast.Import):
            imports += [f"import {a.name}" + (f" as {a.asname}" if a.asname else "") for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.module not in ("__future__", "_script") and not (node.module or "").startswith("mlcore"):
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
            f"    times = frame[{text_literal(spec.time_column)}].iloc[rows].reset_index(drop=True)",
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
            f"    groups = frame[{text_literal(spec.group_column)}].to_numpy()[rows]",
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
        lines.append(f"    groups = frame[{text_literal(spec.group_column)}].to_numpy()[train]")
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
    writer = SourceWriter(0)
    threshold = "None" if rule is None else repr(float(rule.threshold))
    classes = (
        "None, None" if rule is None else f"{writer.value(rule.positive)}, {writer.value(rule.negative)}"
    )
    program = template("predict")
    parts = [
        f'"""{_PREDICT_DOCSTRING}"""',
        "from __future__ import annotations",
        "",
        import_block(SourceWriter(0), list(program.imports)),
        "",
        f"FEATURES = {list_literal(features)}",
        f"NUMBERS = {list_literal(numbers)}",
        f"DATES = {list_literal(dates)}",
        f"TARGET = {text_literal(target)}",
        f"TASK = {text_literal(task.value)}",
        f"NULL_TOKENS = {list_literal(NULL_TOKENS)}",
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
