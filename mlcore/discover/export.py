"""Discover's results for use elsewhere: the table with its clusters (or anomaly scores) as a CSV, and
a clustering's bundle.

The bundle holds the fitted pipeline (model.joblib, model.skops), its card, and cluster.py: plain
pandas / scikit-learn code that reads the original file as the workbench read it, fits the same
pipeline with the same seed on the same rows and writes every row's cluster, which are `fit.labels`.
The sample of a capped algorithm and the matching of the other rows to their nearest fitted row are
`clustering`'s own functions, copied into the script, so the two cannot drift apart. Every user
string (column and file names) is escaped where it lands: Python literals and the docstring, Markdown,
and CSV cells a spreadsheet would run.
"""

from __future__ import annotations

import itertools
import json
import shlex
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import numpy as np
import pandas as pd

from mlcore import __version__
from mlcore.dataset import Dataset
from mlcore.deploy.bundle import (
    DATA_FILE,
    READER_REQUIREMENTS,
    Bundle,
    file_stem,
    joblib_bytes,
    requirements_text,
    skops_bytes,
)
from mlcore.deploy.card import card_header, card_json, plain
from mlcore.deploy.codegen import (
    PipelineSource,
    ReadHints,
    ScriptData,
    docstring_source,
    has_original_file,
    list_literal,
    pipeline_script,
    read_hints,
)
from mlcore.deploy.predict import escape_formulas, safe_csv_bytes
from mlcore.deploy.source_writer import CodegenError, text_literal
from mlcore.discover.algorithms import clustering
from mlcore.discover.clustering import NOISE, ClusterFit, _label_the_rest, checked_labels, cluster_name
from mlcore.discover.errors import DiscoverError
from mlcore.discover.prepared import sample_rows, sampled
from mlcore.formatting import percent, plural
from mlcore.markup import markdown_text
from mlcore.train.fit import library_versions
from mlcore.train.run_data import feature_kinds

LABEL = "cluster"  # the name of the column of clusters, unless the table has one already
CARD_FORMAT = "ml-workbench-clusters/1"
SCRIPT = "cluster.py"
FILE_DESCRIPTIONS = {
    "model.joblib": "the fitted pipeline (preparation + clustering); `joblib.load` with scikit-learn "
    "installed, no ML Workbench needed (same Python minor version)",
    "model.skops": "the same pipeline in skops' safe format",
    "model_card.md": "this card",
    "model_card.json": "the card as data (settings, features, cluster sizes, versions)",
    SCRIPT: "fits the clustering again on the original data file and writes every row's cluster",
    "README.md": "how to use these files",
    "requirements.txt": "the library versions used",
    DATA_FILE: "the table the clusters were found in (a sample or generated table has no file of its own)",
}


# ---------- the labelled table ----------


def free_column(dataset: Dataset, name: str = LABEL) -> str:
    """`name`, or `name_2`, `name_3` …: the first that is not yet a column of the table."""
    taken = {str(c) for c in dataset.frame.columns}
    candidates = itertools.chain([name], (f"{name}_{i}" for i in itertools.count(2)))
    return next(c for c in candidates if c not in taken)


def labelled_csv(dataset: Dataset, columns: Mapping[str, np.ndarray | pd.Series]) -> bytes:
    """The table with `columns` (one value per row, in the table's row order) appended, as a CSV whose
    cells a spreadsheet would run as formulas are escaped."""
    frame = dataset.frame.copy(deep=False)
    for name, values in columns.items():
        if name in frame.columns:
            raise DiscoverError(
                f"The table already has a column called '{name}'.",
                f"Name the new column otherwise, e.g. '{free_column(dataset, name)}'.",
            )
        values = np.asarray(values)  # by position: a Series' own index is not the table's
        if len(values) != dataset.n_rows:
            raise DiscoverError(
                f"'{name}' has {plural(len(values), 'value')} for {plural(dataset.n_rows, 'row')}.",
                "Use the results of this same table.",
            )
        frame[name] = values
    return safe_csv_bytes(frame)


def cluster_sizes(labels: np.ndarray) -> dict[str, Any]:
    """The number of clusters, the rows of each (by label) and the rows in none: what model_card.json
    records and cluster.py prints last (this function is copied into it)."""
    found, counts = np.unique(labels, return_counts=True)
    sizes = {str(label): int(n) for label, n in zip(found, counts, strict=True) if label != NOISE}
    return {"count": len(sizes), "sizes": sizes, "noise": int(np.count_nonzero(labels == NOISE))}


# ---------- the bundle ----------


def cluster_bundle(fit: ClusterFit, dataset: Dataset, hints: ReadHints | None = None) -> Bundle:
    """Every file of a clustering's bundle (see the module docstring); `hints` say how the original file
    was read (by default what the reader recorded)."""
    checked_labels(fit.labels, dataset.n_rows)
    label = free_column(dataset)
    original = has_original_file(dataset)
    hints = (hints or read_hints(dataset)) if original else ReadHints()
    notes = (
        []
        if original
        else [f"'{dataset.name}' has no file of its own, so the bundle includes it as {DATA_FILE}."]
    )
    data_file = dataset.name if original else DATA_FILE
    code: dict[str, str] = {}
    try:
        code[SCRIPT] = cluster_script(fit, dataset, hints, data_file, label)
    except CodegenError as exc:
        notes.append(f"{SCRIPT} was left out: {exc.message}")
    names = ["model.joblib", "model.skops", "model_card.md", "model_card.json", *code]
    names += ["README.md", "requirements.txt", *([] if original else [DATA_FILE])]
    described = {name: FILE_DESCRIPTIONS[name] for name in names}
    card = cluster_card(fit, dataset, {"label_column": label, "files": described, "notes": notes})
    texts = {
        **code,
        "README.md": _readme(card, SCRIPT in code, data_file),
        "requirements.txt": requirements_text(fit.pipeline, READER_REQUIREMENTS.get(hints.file_format, ())),
    }
    files = {
        "model.joblib": joblib_bytes(fit.pipeline),
        "model.skops": skops_bytes(fit.pipeline),
        "model_card.md": cluster_card_markdown(card).encode("utf-8"),
        "model_card.json": card_json(card).encode("utf-8"),
        **{name: text.encode("utf-8") for name, text in texts.items()},
    }
    if not original:
        files[DATA_FILE] = dataset.frame.to_csv(index=False).encode("utf-8")
    return Bundle(bundle_name(fit, dataset), {n: files[n] for n in names}, card, tuple(notes))


def bundle_name(fit: ClusterFit, dataset: Dataset) -> str:
    return f"{file_stem(dataset)}-{fit.algorithm}-clusters.zip"


def labelled_name(dataset: Dataset) -> str:
    return f"{file_stem(dataset)}-labelled.csv"


def _features(fit: ClusterFit, dataset: Dataset) -> list[str]:
    """The columns the pipeline reads, refused unless the table still has them."""
    features = [str(c) for c in fit.pipeline.steps[0][1].feature_names_in_]
    missing = [name for name in features if name not in dataset.frame.columns]
    if missing:
        raise DiscoverError(
            f"The clustering was fitted on columns this table lacks: {', '.join(missing)}.",
            "Fit the clusters again on this table.",
        )
    return features


def cluster_script(fit: ClusterFit, dataset: Dataset, hints: ReadHints, data_file: str, label: str) -> str:
    """cluster.py: read `data_file`, fit the same pipeline as `fit` on the same rows, write the labels."""
    features = _features(fit, dataset)
    sample = None if fit.fitted_rows is None else len(fit.fitted_rows)
    settings = [
        f"FEATURES = {list_literal(features)}",
        f"SAMPLE_ROWS = {sample!r}  # rows in the random sample fitted on (None: all)",
        f"LABEL_COLUMN = {text_literal(label)}",
    ]
    return pipeline_script(
        _script_docstring(fit, dataset, data_file),
        PipelineSource(
            fit.pipeline, fit.seed, "The same preparation and clustering as the workbench, unfitted."
        ),
        ScriptData(dataset, hints, features),
        "clustering",
        settings,
        [sample_rows, _label_the_rest, cluster_sizes, escape_formulas],
    )


def _script_docstring(fit: ClusterFit, dataset: Dataset, data_file: str) -> tuple[str, str]:
    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    name = clustering(fit.algorithm).name

    def text(table: str, file: str) -> str:
        return f"""Find the {name} clusters of '{table}' again, exactly as the ML Workbench found them.

    python {SCRIPT} {file}                    # prints the cluster sizes; the last line is JSON
    python {SCRIPT} {file} -o labelled.csv    # the table with each row's cluster (the default file)

Plain pandas / scikit-learn code: nothing of the workbench is needed. With the library versions of
requirements.txt every row gets the cluster it has in the workbench, and the sizes are model_card.json's.
Generated by ML Workbench {__version__} on {stamp}.
"""

    return docstring_source(text, dataset.name, shlex.quote(data_file))


# ---------- the card ----------


def cluster_card(fit: ClusterFit, dataset: Dataset, extra: dict[str, Any]) -> dict[str, Any]:
    """Every fact of a clustering's card as JSON-safe data; `extra` adds bundle facts (files, notes)."""
    algorithm = clustering(fit.algorithm)
    estimator = fit.pipeline.steps[-1][1]
    kinds = feature_kinds(fit.pipeline)
    fitted = dataset.n_rows if fit.fitted_rows is None else len(fit.fitted_rows)
    card = {
        **card_header(CARD_FORMAT, f"{algorithm.name} clusters of '{dataset.name}'", dataset),
        "features": [
            {
                "name": name,
                "type": (kinds.get(name) or dataset.column(name).ctype).value,
                "dtype": str(dataset.frame[name].dtype),
            }
            for name in _features(fit, dataset)
        ],
        "algorithm": {
            "key": fit.algorithm,
            "name": algorithm.name,
            "estimator": f"{type(estimator).__module__}.{type(estimator).__name__}",
            "params": dict(fit.params),
        },
        "seed": fit.seed,
        "fitting": {"rows": dataset.n_rows, "fitted_rows": fitted, "sampled": fit.fitted_rows is not None},
        "clusters": cluster_sizes(fit.labels),
        "note": fit.note,
        "versions": library_versions(),
        **extra,
    }
    return plain(card)


def cluster_card_markdown(card: dict[str, Any]) -> str:
    """The card for people. Every name from the data is Markdown-escaped, so it reads as text and cannot
    become a link or HTML."""
    md = markdown_text
    data, algorithm, fitting, clusters = card["dataset"], card["algorithm"], card["fitting"], card["clusters"]
    rows = data["rows"]
    fitted = (
        f"{sampled(fitting['fitted_rows'], rows)} (the others joined their nearest)"
        if fitting["sampled"]
        else f"every one of the {plural(rows, 'row')}"
    )
    groups = [(cluster_name(int(label)), size) for label, size in clusters["sizes"].items()]
    groups += [(cluster_name(NOISE), clusters["noise"])] if clusters["noise"] else []
    lines = [
        f"# Clusters: {md(card['title'])}",
        "",
        f"Created {card['created']} with {card['made_with']}.",
        "",
        "## Data",
        "",
        f"- Dataset: **{md(data['name'])}** ({md(data['source'])}), "
        f"{plural(rows, 'row')} × {plural(data['columns'], 'column')}",
        f"- Content hash: `{data['content_hash']}`",
        f"- The cluster of each row is the column **{md(card['label_column'])}** of `{SCRIPT}`'s output",
        "",
        "| feature | type | dtype |",
        "|---|---|---|",
        *(f"| {md(f['name'])} | {f['type']} | {md(f['dtype'])} |" for f in card["features"]),
        "",
        "## Clustering",
        "",
        f"- {algorithm['name']} (`{algorithm['estimator']}`)",
        f"- Settings: {md(json.dumps(algorithm['params']))}",
        f"- Seed: {card['seed']}",
        f"- Fitted on {fitted}",
        *([f"- Note: {md(card['note'])}"] if card["note"] else []),
        "",
        "## Clusters",
        "",
        "| cluster | rows | share |",
        "|---|---|---|",
        *(f"| {name} | {size:,} | {percent(size / rows)} |" for name, size in groups),
        "",
        f"`python {SCRIPT} DATA_FILE` finds these clusters again (its last line is the `clusters` JSON).",
        "",
        "## Files",
        "",
        *(f"- `{name}`: {what}" for name, what in card["files"].items()),
        "",
        "## Library versions",
        "",
        *(f"- {name} {version}" for name, version in card["versions"].items()),
    ]
    if card["notes"]:
        lines += ["", "## Notes", "", *(f"- {md(note)}" for note in card["notes"])]
    return "\n".join(lines) + "\n"


def _readme(card: dict[str, Any], script: bool, data_file: str) -> str:
    """How to use the bundle: find the clusters again, and what model.joblib can and cannot do."""
    algorithm = card["algorithm"]
    lines = [
        f"# {markdown_text(card['title'])}",
        "",
        "Exported from the ML Workbench. `model_card.md` says what was clustered, how, and how big each "
        "cluster is.",
        "",
    ]
    if script:
        lines += [
            "## Find the clusters again",
            "",
            "    pip install -r requirements.txt",
            f"    python {SCRIPT} DATA_FILE -o labelled.csv",
            "",
            f"DATA_FILE is **{markdown_text(data_file)}**. It reads the file as the workbench did, fits "
            "the same preparation and clustering with the same seed, and writes the table with each row's "
            "cluster (−1: in no cluster) to `labelled.csv`.",
            "",
        ]
    lines += [
        "## The fitted pipeline",
        "",
        "    import joblib",
        "    model = joblib.load('model.joblib')",
        "",
    ]
    if algorithm["key"] in ("kmeans", "gaussian_mixture"):
        lines.append(
            "`model.predict(rows)` gives the cluster of new rows (a table with the feature columns): the "
            "nearest centre for k-means, the most likely component for a Gaussian mixture."
        )
    else:
        lines.append(
            f"{algorithm['name']} has no rule for rows it was not fitted on, so the pipeline cannot "
            f"cluster new rows: add them to the table and run `{SCRIPT}` again (the clusters may change)."
        )
    return "\n".join(lines) + "\n"
