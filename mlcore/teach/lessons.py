"""Classroom lessons: a short sequence of steps, each opening a page (and a tab) with a dataset and models.

A lesson is a small YAML file. `parse_lesson` reads one (with `yaml.safe_load` only, after bounding its
size) and validates it strictly; `lesson_text` writes a lesson back; `built_in` returns the five lessons
shipped in `mlcore/teach/lessons/`. The shape of a file::

    key: test-set                      # a slug: letters, digits and '-' (the file name stem)
    title: Why we keep a test set      # at most 120 characters
    summary: A deep tree scores perfectly on the rows it learned from; rows it never saw tell the truth.
    steps:                             # 1 to 30 steps
      - title: A perfect score?        # at most 120 characters
        page: teach                    # one of PAGES
        tab: Overfitting               # optional: a tab of that page (TABS)
        data: {kind: generate, shape: moons, n_samples: 400, noise: 0.35}   # optional
        models: [decision_tree]        # optional: model keys to train when the step opens
        settings: {seed: 1, test_size: 0.3, cv_folds: 3}   # optional: the seed and split to train with
        text: Choose the decision tree and drag its depth to 20. Is this a perfect model?

`data` takes the fields of `DataSpec` (kind is required; the others have defaults): kind `sample`
with `sample` (a sample key), kind `generate` or `leaky` with `shape`, `n_samples`, `noise`, `seed`,
and kind `imbalanced` with `n_samples`, `minority`, `seed`. A step without `data` keeps the table
already loaded. `text` is Markdown shown to the student. Unknown fields are refused, so a typo never
passes silently; every error names the step and the field and says what to write instead.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, fields
from functools import cache
from importlib import resources
from typing import Any

import yaml

from mlcore.schema import Task
from mlcore.teach.errors import TeachError
from mlcore.teach.lesson_data import DataSpec, check_spec
from mlcore.train.models import models_for

PAGES = ("data", "explore", "discover", "prepare", "train", "evaluate", "explain", "teach")
# The tabs a step may open, by page (pages whose tabs are remembered; the others have none to open).
TABS: dict[str, tuple[str, ...]] = {
    "explore": ("Columns", "Relations", "Missing values", "Target", "Full report"),
    "discover": ("Clusters", "How many clusters?", "Map", "Anomalies", "Use the result"),
    "evaluate": (
        "Scores",
        "Per-class report",
        "Confusion matrices",
        "ROC, PR and calibration",
        "Threshold",
        "Predictions and residuals",
        "Largest errors",
        "Learning and validation curves",
    ),
    "explain": ("Whole model", "One row"),
    "teach": ("Paint data", "Decision boundaries", "Overfitting", "Step through"),
}
MAX_LESSON_BYTES = 64 * 1024
MAX_STEPS = 30
MAX_TITLE = 120
MAX_SUMMARY = 1_000
MAX_TEXT = 4_000
MAX_MODELS = 8
KEY_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9-]{0,63}")
# The order of `built_in`: from the first idea a class meets to the later ones.
BUILT_IN = ("test-set", "imbalance", "leakage", "bias-variance", "kmeans-limits")
# A plain data folder beside this module, deliberately without `__init__.py`: a package of the same name
# would shadow this module (`mlcore.teach.lessons`). It ships through setuptools' package-data.
LESSON_FOLDER = "lessons"

_LESSON_FIELDS = ("key", "title", "summary", "steps")
_STEP_FIELDS = ("title", "page", "text", "tab", "data", "models", "settings")
_SETTINGS = {"seed": (int, 0, 2**31 - 1), "test_size": (float, 0.1, 0.5), "cv_folds": (int, 2, 10)}
_DATA_FIELDS = tuple(f.name for f in fields(DataSpec))
_DATA_TYPES: dict[str, type] = {
    "kind": str,
    "sample": str,
    "shape": str,
    "n_samples": int,
    "noise": float,
    "minority": float,
    "seed": int,
}
_HINT = "See the lesson format at the top of mlcore/teach/lessons.py."


@dataclass(frozen=True)
class StepSettings:
    """The training settings a step sets before its models train (None: left as they are)."""

    seed: int | None = None
    test_size: float | None = None  # the holdout's share of the rows
    cv_folds: int | None = None


@dataclass(frozen=True)
class LessonStep:
    """One step: the page (and tab) to open, what to load and train there, and what the student does."""

    title: str
    page: str  # one of PAGES
    text: str  # Markdown shown to the student: the instruction or question
    tab: str | None = None  # a tab of that page to open, optional
    data: DataSpec | None = None  # load this dataset when the step opens (None: keep the current one)
    models: tuple[str, ...] = ()  # model keys (mlcore.train.models) to train when the step opens
    settings: StepSettings = StepSettings()  # the seed and split to train with


@dataclass(frozen=True)
class Lesson:
    """A named sequence of steps."""

    key: str  # a slug: letters, digits, '-' (the file name stem)
    title: str
    summary: str
    steps: tuple[LessonStep, ...]


def known_models() -> frozenset[str]:
    """The model keys a step may train: those for classification or regression."""
    return frozenset(m.key for task in Task for m in models_for(task))


def parse_lesson(text: str | bytes) -> Lesson:
    """Read and validate a lesson file; anything wrong raises TeachError naming the step and the field."""
    raw = text.encode("utf-8", errors="replace") if isinstance(text, str) else bytes(text)
    if len(raw) > MAX_LESSON_BYTES:
        raise TeachError(
            f"This lesson file is {len(raw):,} bytes; a lesson may be at most {MAX_LESSON_BYTES:,}.",
            "Split it into shorter lessons, or shorten the texts.",
        )
    try:
        source = raw.decode("utf-8") if isinstance(text, bytes) else text
    except UnicodeDecodeError:
        raise TeachError("This lesson file is not UTF-8 text.", "Save it as UTF-8 and try again.") from None
    try:
        document = yaml.safe_load(source)
    except yaml.MarkedYAMLError as error:
        where = f" (line {error.problem_mark.line + 1})" if error.problem_mark else ""
        problem = error.problem or "it is not valid YAML"
        raise TeachError(
            f"This lesson file could not be read{where}: {problem}.",
            "Check the indentation and quoting there; tags such as !!python/... are not allowed. " + _HINT,
        ) from None
    except (yaml.YAMLError, RecursionError, ValueError, TypeError, OverflowError):
        raise TeachError("This lesson file could not be read as YAML.", _HINT) from None
    return _lesson(document)


def _lesson(document: Any) -> Lesson:
    if not isinstance(document, dict):
        raise TeachError(
            "A lesson file must be a mapping with key, title, summary and steps.",
            "Start the file with 'key:', 'title:', 'summary:' and 'steps:' lines. " + _HINT,
        )
    _fields(document, _LESSON_FIELDS, ("key", "title", "summary", "steps"), "The lesson")
    key = _string(document["key"], "The lesson", "key", 64)
    if not KEY_PATTERN.fullmatch(key):
        raise TeachError(
            f"The lesson: 'key' must use only letters, digits and '-'; got {key!r}.",
            "For example 'test-set'; it is also the file name.",
        )
    steps = document["steps"]
    if not isinstance(steps, list) or not 1 <= len(steps) <= MAX_STEPS:
        count = f"{len(steps)} steps" if isinstance(steps, list) else "no list of steps"
        raise TeachError(
            f"The lesson: 'steps' must be a list of 1 to {MAX_STEPS} steps; it has {count}.",
            "Write each step as a '- title: …' item under 'steps:'; split a long lesson in two.",
        )
    return Lesson(
        key=key,
        title=_string(document["title"], "The lesson", "title", MAX_TITLE),
        summary=_string(document["summary"], "The lesson", "summary", MAX_SUMMARY),
        steps=tuple(_step(item, number) for number, item in enumerate(steps, start=1)),
    )


def _step(item: Any, number: int) -> LessonStep:
    where = f"Step {number}"
    if not isinstance(item, dict):
        raise TeachError(f"{where} must be a mapping with title, page and text.", _HINT)
    _fields(item, _STEP_FIELDS, ("title", "page", "text"), where)
    page = _string(item["page"], where, "page", 40)
    if page not in PAGES:
        raise TeachError(f"{where}: 'page' must be one of {', '.join(PAGES)}; got {page!r}.", _HINT)
    tab = None
    if item.get("tab") is not None:
        tab = _string(item["tab"], where, "tab", 60)
        tabs = TABS.get(page, ())
        if tab not in tabs:
            choices = f"one of {', '.join(tabs)}" if tabs else "left out: that page has no tabs to open"
            raise TeachError(f"{where}: 'tab' must be {choices}; got {tab!r}.", _HINT)
    return LessonStep(
        title=_string(item["title"], where, "title", MAX_TITLE),
        page=page,
        text=_string(item["text"], where, "text", MAX_TEXT),
        tab=tab,
        data=None if item.get("data") is None else _data(item["data"], where),
        models=_models(item.get("models"), where),
        settings=_settings(item.get("settings"), where),
    )


def _settings(value: Any, where: str) -> StepSettings:
    if value is None:
        return StepSettings()
    if not isinstance(value, dict):
        raise TeachError(f"{where}: 'settings' must be a mapping such as {{seed: 1, cv_folds: 3}}.", _HINT)
    _fields(value, tuple(_SETTINGS), (), f"{where}, 'settings'")
    checked = {}
    for name, raw in value.items():
        kind, low, high = _SETTINGS[name]
        number = _typed(raw, kind, where, f"settings.{name}")
        if not low <= number <= high:
            raise TeachError(
                f"{where}: 'settings.{name}' must be between {low} and {high}; got {number}.", _HINT
            )
        checked[name] = number
    return StepSettings(**checked)


def _data(value: Any, where: str) -> DataSpec:
    if not isinstance(value, dict):
        raise TeachError(
            f"{where}: 'data' must be a mapping such as {{kind: generate, shape: moons}}.", _HINT
        )
    _fields(value, _DATA_FIELDS, ("kind",), f"{where}, 'data'")
    values = {name: _typed(v, _DATA_TYPES[name], where, f"data.{name}") for name, v in value.items()}
    spec = DataSpec(**values)
    try:
        check_spec(spec)
    except TeachError as error:
        raise TeachError(f"{where}, 'data': {error.message}", error.hint) from None
    return spec


def _models(value: Any, where: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list) or len(value) > MAX_MODELS:
        raise TeachError(
            f"{where}: 'models' must be a list of at most {MAX_MODELS} model keys, "
            "such as [decision_tree, logistic_regression].",
            _HINT,
        )
    known = known_models()
    keys = tuple(_string(v, where, "models", 40) for v in value)
    for key in keys:
        if key not in known:
            raise TeachError(
                f"{where}: 'models' names {key!r}, which is not a model we know.",
                f"Use model keys such as {', '.join(sorted(known))}.",
            )
    return keys


def _fields(mapping: dict, allowed: tuple[str, ...], required: tuple[str, ...], where: str) -> None:
    unknown = [str(k) for k in mapping if k not in allowed]
    if unknown:
        raise TeachError(
            f"{where}: unknown field {unknown[0][:40]!r}; the fields are {', '.join(allowed)}.",
            "Check its spelling, or remove it.",
        )
    missing = [k for k in required if mapping.get(k) is None]
    if missing:
        raise TeachError(f"{where}: the field {missing[0]!r} is missing.", _HINT)


def _string(value: Any, where: str, field: str, limit: int) -> str:
    if not isinstance(value, str):
        raise TeachError(
            f"{where}: '{field}' must be text; got {type(value).__name__}.",
            "Put the value in quotes if it looks like a number, a date or a list.",
        )
    value = value.strip()
    if not value:
        raise TeachError(f"{where}: '{field}' is empty.", "Write something there, or remove the field.")
    if len(value) > limit:
        raise TeachError(
            f"{where}: '{field}' is {len(value):,} characters; at most {limit:,} are allowed.",
            "Shorten it, or split the step in two.",
        )
    return value


def _typed(value: Any, kind: type, where: str, field: str) -> Any:
    if kind is str:
        return _string(value, where, field, 60)
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TeachError(f"{where}: '{field}' must be a number; got {type(value).__name__}.", _HINT)
    if kind is int:
        if isinstance(value, float) and not value.is_integer():
            raise TeachError(f"{where}: '{field}' must be a whole number; got {value}.", _HINT)
        return int(value)
    return float(value)


def lesson_text(lesson: Lesson) -> str:
    """The lesson as YAML in the format `parse_lesson` reads (fields at their default are left out)."""
    return yaml.safe_dump(_document(lesson), sort_keys=False, allow_unicode=True, width=100)


def _document(lesson: Lesson) -> dict:
    return {
        "key": lesson.key,
        "title": lesson.title,
        "summary": lesson.summary,
        "steps": [_step_document(step) for step in lesson.steps],
    }


def _step_document(step: LessonStep) -> dict:
    document: dict[str, Any] = {"title": step.title, "page": step.page}
    if step.tab is not None:
        document["tab"] = step.tab
    if step.data is not None:
        default = DataSpec(kind=step.data.kind)
        document["data"] = {
            name: getattr(step.data, name)
            for name in _DATA_FIELDS
            if name == "kind" or getattr(step.data, name) != getattr(default, name)
        }
    if step.models:
        document["models"] = list(step.models)
    chosen = {
        name: getattr(step.settings, name) for name in _SETTINGS if getattr(step.settings, name) is not None
    }
    if chosen:
        document["settings"] = chosen
    document["text"] = step.text
    return document


@cache  # read once per process: the Lessons tab lists them on every rerun
def built_in() -> tuple[Lesson, ...]:
    """The lessons shipped in mlcore/teach/lessons/, in the order of `BUILT_IN`."""
    folder = resources.files("mlcore.teach").joinpath(LESSON_FOLDER)
    return tuple(parse_lesson(folder.joinpath(f"{key}.yaml").read_bytes()) for key in BUILT_IN)
