"""Classroom lessons: the built-in files parse and round-trip, their data loads, bad files are refused."""

from __future__ import annotations

from dataclasses import replace

import pytest

from mlcore.teach.errors import TeachError
from mlcore.teach.lesson_data import LEAK_COLUMN, DataSpec, lesson_dataset
from mlcore.teach.lessons import (
    BUILT_IN,
    MAX_LESSON_BYTES,
    PAGES,
    TABS,
    Lesson,
    LessonStep,
    StepSettings,
    built_in,
    known_models,
    lesson_text,
    parse_lesson,
)

GOOD = """
key: demo
title: A demo
summary: Two steps.
steps:
  - title: Look
    page: explore
    data: {kind: generate, shape: moons, n_samples: 100}
    text: Look at the data.
  - title: Train
    page: train
    models: [decision_tree]
    text: Train a tree. What do you see?
"""


def test_the_five_built_in_lessons_parse_round_trip_and_use_known_pages_tabs_and_models():
    lessons = built_in()
    assert tuple(lesson.key for lesson in lessons) == BUILT_IN
    for lesson in lessons:
        assert 3 <= len(lesson.steps) <= 5, lesson.key
        assert parse_lesson(lesson_text(lesson)) == lesson
        for step in lesson.steps:
            assert step.page in PAGES
            assert step.tab is None or step.tab in TABS[step.page]
            assert set(step.models) <= known_models()
            assert "?" in step.text, (lesson.key, step.title)  # every step asks the student something


def test_built_in_datasets_load_with_their_target():
    targets = {"generate": "target", "leaky": "target", "imbalanced": "fraud"}
    specs = {step.data for lesson in built_in() for step in lesson.steps if step.data is not None}
    assert {spec.kind for spec in specs} == set(targets)
    for spec in specs:
        dataset = lesson_dataset(spec)
        assert dataset.target == targets[spec.kind]
        assert dataset.n_rows == spec.n_samples


def test_a_sample_lesson_dataset_is_the_sample():
    dataset = lesson_dataset(DataSpec(kind="sample", sample="iris"))
    assert dataset.target == "species"


def test_imbalanced_minority_share_matches_the_spec():
    spec = DataSpec(kind="imbalanced", n_samples=2000, minority=0.05, seed=3)
    dataset = lesson_dataset(spec)
    assert list(dataset.frame.columns) == ["f1", "f2", "f3", "f4", "fraud"]
    assert set(dataset.frame["fraud"]) == {"no", "yes"}
    assert (dataset.frame["fraud"] == "yes").mean() == pytest.approx(0.05, abs=0.01)
    assert "imbalanced" in dataset.description


def test_the_leaky_column_agrees_with_the_target_on_98_percent_of_rows():
    dataset = lesson_dataset(DataSpec(kind="leaky", n_samples=500))
    frame = dataset.frame
    assert (frame[LEAK_COLUMN] == frame["target"]).mean() == pytest.approx(0.98, abs=0.001)
    assert "leak" in dataset.description


@pytest.mark.parametrize(
    "spec",
    [
        DataSpec(kind="generate", shape="circles", n_samples=300, seed=4),
        DataSpec(kind="imbalanced", n_samples=400, seed=5),
        DataSpec(kind="leaky", shape="blobs", n_samples=300, seed=6),
    ],
)
def test_the_same_spec_gives_the_same_table(spec):
    first, second = lesson_dataset(spec), lesson_dataset(replace(spec))
    assert first.content_hash == second.content_hash
    assert first.frame.equals(second.frame)
    assert lesson_dataset(replace(spec, seed=spec.seed + 1)).content_hash != first.content_hash


@pytest.mark.parametrize(
    "spec",
    [
        DataSpec(kind="nonsense"),
        DataSpec(kind="sample", sample="no-such-sample"),
        DataSpec(kind="generate", shape="spiral"),
        DataSpec(kind="leaky", shape="noisy regression"),
        DataSpec(kind="imbalanced", minority=0.9),
        DataSpec(kind="generate", n_samples=10**9),
    ],
)
def test_bad_specs_are_refused_with_a_teach_error(spec):
    with pytest.raises(TeachError) as caught:
        lesson_dataset(spec)
    assert caught.value.hint


def test_a_good_lesson_parses_from_text_and_bytes():
    lesson = parse_lesson(GOOD)
    assert lesson == parse_lesson(GOOD.encode())
    assert lesson == Lesson(
        "demo",
        "A demo",
        "Two steps.",
        (
            LessonStep("Look", "explore", "Look at the data.", data=DataSpec("generate", n_samples=100)),
            LessonStep("Train", "train", "Train a tree. What do you see?", models=("decision_tree",)),
        ),
    )
    assert parse_lesson(lesson_text(lesson)) == lesson


def _step(extra: str) -> str:
    return f"key: demo\ntitle: A demo\nsummary: s\nsteps:\n  - title: One\n    text: Do it.\n{extra}"


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("- just\n- a list\n", "must be a mapping"),
        ("key: demo\ntitle: t\nsummary: s\nsteps: []\ncolour: red\n", "unknown field 'colour'"),
        (_step("    page: teach\n    colour: red\n"), "Step 1: unknown field 'colour'"),
        (_step("    page: kitchen\n"), "Step 1: 'page' must be one of data, explore, discover"),
        (_step("    page: teach\n    tab: Nowhere\n"), "Step 1: 'tab' must be one of"),
        (_step("    page: train\n    models: [deep_magic]\n"), "Step 1: 'models' names 'deep_magic'"),
        (_step("    page: data\n    data: {kind: generate, n_samples: many}\n"), "'data.n_samples' must be"),
        (_step("    page: data\n    data: {kind: sample, sample: nope}\n"), "Step 1, 'data': 'sample'"),
        (_step("    page: data\n    data: {kind: generate, size: 3}\n"), "unknown field 'size'"),
        (_step("    title: One\n"), "'page' is missing"),
        ("key: demo\ntitle: t\nsummary: s\n", "'steps' is missing"),
        ("key: not a slug\ntitle: t\nsummary: s\nsteps: [{}]\n", "'key' must use only"),
        ("key: demo\ntitle: 2024-01-01\nsummary: s\nsteps: [{}]\n", "'title' must be text"),
    ],
)
def test_bad_lessons_are_refused_with_a_plain_message(text, words):
    with pytest.raises(TeachError) as caught:
        parse_lesson(text)
    assert words in caught.value.message
    assert caught.value.hint


def test_too_many_steps_and_too_long_a_text_are_refused():
    step = "  - {title: One, page: data, text: Do it.}\n"
    with pytest.raises(TeachError, match="1 to 30 steps; it has 31"):
        parse_lesson("key: demo\ntitle: t\nsummary: s\nsteps:\n" + step * 31)
    with pytest.raises(TeachError, match=r"Step 1: 'text' is 4,001 characters"):
        parse_lesson(_step("    page: data\n").replace("Do it.", "x" * 4001))
    with pytest.raises(TeachError, match="at most 65,536"):
        parse_lesson("key: demo\n" + "#" * MAX_LESSON_BYTES)


BOMB = """
a: &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]
b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]
c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]
d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]
e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d]
f: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e]
g: &g [*f, *f, *f, *f, *f, *f, *f, *f, *f]
h: &h [*g, *g, *g, *g, *g, *g, *g, *g, *g]
i: &i [*h, *h, *h, *h, *h, *h, *h, *h, *h]
"""


@pytest.mark.parametrize(
    "text",
    [
        BOMB,
        "key: demo\ntitle: &t [a, b]\nsummary: *t\nsteps: *t\n",
        "!!python/object/apply:os.system ['echo hacked']\n",
        "key: !!python/object:builtins.object {}\n",
        "key: demo\ntitle: [unclosed\n",
        "[" * 20_000,
        b"\xff\xfe not utf-8",
    ],
)
def test_hostile_or_broken_yaml_gives_a_teach_error_not_a_traceback(text):
    with pytest.raises(TeachError) as caught:
        parse_lesson(text)
    assert "yaml" not in type(caught.value).__module__
    assert "Traceback" not in caught.value.message
    assert caught.value.__cause__ is None  # no YAML or codec exception chained under it


def test_a_step_s_settings_are_read_checked_written_back_and_applied_before_its_models_train():
    from mlcore.workspace import Workspace

    text = (
        "key: settings\ntitle: Settings\nsummary: A seed and a split.\nsteps:\n"
        "  - title: Train\n    page: train\n    text: Train it.\n"
        "    data: {kind: generate, shape: moons, n_samples: 200}\n"
        "    models: [decision_tree]\n    settings: {seed: 7, test_size: 0.3, cv_folds: 3}\n"
    )
    lesson = parse_lesson(text)
    assert lesson.steps[0].settings == StepSettings(seed=7, test_size=0.3, cv_folds=3)
    assert parse_lesson(lesson_text(lesson)) == lesson
    ws = Workspace()
    assert ws.start_lesson(lesson)
    try:
        assert ws.seed == 7 and (ws.split.test_size, ws.split.cv_folds) == (0.3, 3)
        assert ws.training is not None and ws.training.request.seed == 7
    finally:
        ws.stop_training()
    for bad, said in (("{cv_folds: 1}", "between 2 and 10"), ("{shuffle: yes}", "unknown field")):
        with pytest.raises(TeachError, match=said):
            parse_lesson(text.replace("{seed: 7, test_size: 0.3, cv_folds: 3}", bad))
