"""The model card: what was trained on what, how, how well, and what it is (not) meant for.

`model_card.json` is for programs (the import reads its schema; `train.py` prints metrics with
the same keys and values as its `metrics`); `model_card.md` is the same facts for people, with the
intended-use and limitations sections left for the author to fill in.
"""

from __future__ import annotations

import json
import math
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import numpy as np

from mlcore import __version__
from mlcore.dataset import Dataset
from mlcore.deploy.input_schema import ModelSchema
from mlcore.evaluate.decision_rule import DecisionRule
from mlcore.formatting import plural
from mlcore.markup import markdown_text
from mlcore.origin import Origin
from mlcore.schema import Role, Task
from mlcore.train.pipeline_description import describe_pipeline
from mlcore.train.run_data import feature_kinds
from mlcore.train.runs import Run
from mlcore.train.split import make_split

CARD_FORMAT = "ml-workbench-bundle/1"
FILL_IN = "(to be filled in by the model's author)"


def plain(value: Any) -> Any:
    """JSON-safe: NaN → None, numpy scalars → Python values, tuples → lists."""
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None if math.isnan(value) else str(value)
    return value


def run_metrics(run: Run) -> dict[str, dict[str, float | None]]:
    """The metrics exactly as `train.py` prints them: CV mean and spread, holdout."""
    return plain({"cv_mean": run.cv_mean, "cv_std": run.cv_std, "holdout": run.holdout})


def training_view(run: Run, dataset: Dataset) -> Dataset:
    """The dataset with the roles and types the run was trained with (edits made later undone)."""
    kinds = feature_kinds(run.pipeline)
    columns = []
    for info in dataset.columns:
        if info.name == run.target:
            columns.append(replace(info, role=Role.TARGET))
        elif info.name in kinds:
            columns.append(replace(info, role=Role.FEATURE, ctype=kinds[info.name]))
        else:
            columns.append(replace(info, role=Role.IGNORE))
    return replace(dataset, columns=tuple(columns), target=run.target, task=run.task)


def card_header(card_format: str, title: str, dataset: Dataset) -> dict[str, Any]:
    """What every card starts with: its format, when and by what it was made, its title, the data."""
    return {
        "format": card_format,
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "made_with": f"mlcore {__version__}",
        "title": title,
        "dataset": {
            "name": dataset.name,
            "source": dataset.source,
            "content_hash": dataset.content_hash,
            "rows": dataset.n_rows,
            "columns": dataset.n_columns,
            "origin": _origin_facts(dataset.origin),
        },
    }


def _origin_facts(origin: Origin | None) -> dict[str, Any] | None:
    """Where the rows came from (a query, a sample of a larger table), in the card's words; the
    statistics of every row stay with the project, the card says how the sample was drawn."""
    if origin is None:
        return None
    facts = {k: v for k, v in origin.to_dict().items() if k != "whole"}
    return {**facts, "sentence": origin.sentence()}


def build_card(run: Run, dataset: Dataset, schema: ModelSchema, extra: dict[str, Any]) -> dict[str, Any]:
    """Every fact of the card as JSON-safe data; `extra` adds bundle facts (files, ONNX)."""
    view = training_view(run, dataset)
    kinds = feature_kinds(run.pipeline)
    try:
        steps = describe_pipeline(view, run.prep, run.model_key)
    except Exception:  # a description is a nicety; the spec itself is in the card
        steps = []
    split_description = make_split(view, run.split, run.seed).description
    model = run.pipeline.steps[-1][1]
    columns = [
        {
            "name": info.name,
            "dtype": str(dataset.frame[info.name].dtype),
            "type": kinds[info.name].value if info.name in kinds else info.ctype.value,
            "role": "target"
            if info.name == run.target
            else ("feature" if info.name in kinds else "not used"),
            "missing": int(info.n_missing),
        }
        for info in dataset.columns
    ]
    card = {
        **card_header(CARD_FORMAT, f"{run.label} predicting '{run.target}' ({run.task.value})", dataset),
        "run_id": run.id,
        "schema": columns,
        "features": schema.to_dict()["features"],
        "target": run.target,
        "task": run.task.value,
        "classes": None if run.classes is None else plain(list(run.classes)),
        "preprocessing": {"spec": run.prep.to_dict(), "steps": steps},
        "model": {
            "key": run.model_key,
            "name": run.model_name,
            "estimator": f"{type(model).__module__}.{type(model).__name__}",
            "params": plain(run.params),
        },
        "seed": run.seed,
        "split": {"spec": run.split.to_dict(), "description": split_description},
        "metrics": run_metrics(run),
        "fold_scores": plain({k: list(v) for k, v in run.fold_scores.items()}),
        "training": {
            "rows": run.n_train_rows,
            "sampled": run.sampled,
            "fit_seconds": plain(run.fit_seconds),
            "notes": list(run.notes),
            "warnings": list(run.warnings),
        },
        "versions": run.versions,
        "intended_use": "",
        "limitations": "",
        **extra,
    }
    return plain(card)


def card_json(card: dict[str, Any]) -> str:
    return json.dumps(card, indent=2, ensure_ascii=False)


def _metric_rows(card: dict[str, Any]) -> list[str]:
    metrics = card["metrics"]
    names = list(dict.fromkeys([*metrics["cv_mean"], *metrics["holdout"]]))
    rows = ["| metric | CV mean | CV std | holdout |", "|---|---|---|---|"]
    for name in names:
        cells = [metrics["cv_mean"].get(name), metrics["cv_std"].get(name), metrics["holdout"].get(name)]
        rows.append(f"| {name} | " + " | ".join("—" if c is None else f"{c:.4f}" for c in cells) + " |")
    return rows


def _rule_lines(card: dict[str, Any]) -> list[str]:
    """The decision rule of a two-class model: the threshold chosen on the Evaluate page, if any."""
    rule = card.get("decision_rule")
    if rule:
        return [
            f"- Decision rule: {markdown_text(DecisionRule.from_dict(rule).sentence())} `predict.py` and the "
            "workbench apply it; `model.joblib`'s own `predict()` keeps the default, so in your own code "
            "compare the positive class's score with the threshold."
        ]
    if card.get("classes") is not None and len(card["classes"]) == 2:
        return ["- Decision rule: the model's own (the more probable class; no threshold was chosen)."]
    return []


def card_markdown(card: dict[str, Any]) -> str:
    """The card for people: the same facts as the JSON, in prose and tables. Every name from the data
    is Markdown-escaped (`markdown_text`), so it reads as text and cannot become a link or HTML."""
    md = markdown_text
    data, model = card["dataset"], card["model"]
    task = Task(card["task"])
    lines = [
        f"# Model card: {md(card['title'])}",
        "",
        f"Created {card['created']} with {card['made_with']} (run `{card['run_id']}`).",
        "",
        "## Intended use",
        "",
        card["intended_use"] or FILL_IN,
        "",
        "## Limitations",
        "",
        card["limitations"] or FILL_IN,
        "",
        "## Data",
        "",
        f"- Dataset: **{md(data['name'])}** ({md(data['source'])}), "
        f"{plural(data['rows'], 'row')} × {plural(data['columns'], 'column')}",
        *([f"- Origin: {md(data['origin']['sentence'])}"] if data.get("origin") else []),
        f"- Content hash: `{data['content_hash']}`",
        f"- Target: **{md(card['target'])}** ({task.value})",
    ]
    if card["classes"] is not None:
        lines.append(f"- Classes: {', '.join(md(c) for c in card['classes'])}")
    lines += ["", "| column | type | dtype | role | missing |", "|---|---|---|---|---|"]
    lines += [
        f"| {md(c['name'])} | {c['type']} | {md(c['dtype'])} | {c['role']} | {c['missing']} |"
        for c in card["schema"]
    ]
    lines += ["", "## Preprocessing", ""]
    lines += [f"- {md(step)}" for step in card["preprocessing"]["steps"]] or ["- (see model_card.json)"]
    lines += [
        "",
        "## Model",
        "",
        f"- {model['name']} (`{model['estimator']}`)",
        f"- Parameters: {md(json.dumps(model['params']))}",
        f"- Seed: {card['seed']}",
        f"- Split: {md(card['split']['description'])}",
        f"- Trained on {plural(card['training']['rows'], 'row')}"
        + (" (a sample)" if card["training"]["sampled"] else ""),
        *[f"- Note: {md(note)}" for note in card["training"]["notes"]],
        *_rule_lines(card),
        "",
        "## Metrics",
        "",
        *_metric_rows(card),
        "",
        "`python train.py DATAFILE` prints these numbers again (its last line is the `metrics` JSON).",
        "",
        "## Files",
        "",
    ]
    lines += [f"- `{name}`: {what}" for name, what in card.get("files", {}).items()]
    onnx = card.get("onnx")
    if onnx:
        lines += ["", f"ONNX: {md(onnx['note'])}"]
    lines += ["", "## Library versions", ""]
    lines += [f"- {name} {version}" for name, version in card["versions"].items()]
    if card.get("notes"):
        lines += ["", "## Notes", ""] + [f"- {md(note)}" for note in card["notes"]]
    return "\n".join(lines) + "\n"
