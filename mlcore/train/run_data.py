"""What a run's fitted pipeline and its dataset say about the rows it learned from.

A `Run` keeps its fitted pipeline but not the schema it was trained with (types and roles may be
edited afterwards). The pipeline's column transformer remembers which columns it used and in which
group (numbers, categories, dates, text); the run remembers its holdout rows. Explanations, the
input schema and the exported bundle all read those facts here.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from mlcore.dataset import Dataset
from mlcore.errors import MLCoreError
from mlcore.schema import ColumnType
from mlcore.train.runs import Run

# Column-transformer part name → the type of its columns ("text_<name>" parts are text).
_GROUP_KINDS = {
    "numeric": ColumnType.NUMERIC,
    "boolean": ColumnType.BOOLEAN,
    "categorical": ColumnType.CATEGORICAL,
    "datetime": ColumnType.DATETIME,
}


class RunDataError(MLCoreError):
    """The run cannot be used with this dataset (another file, or the run has no fitted model)."""


def preprocessor(pipeline: Any) -> Any:
    """The fitted column transformer at the start of a workbench pipeline."""
    return pipeline.steps[0][1]


def feature_kinds(pipeline: Any) -> dict[str, ColumnType]:
    """Each input column of the fitted pipeline with the type its preprocessing treats it as."""
    prep = preprocessor(pipeline)
    kinds: dict[str, ColumnType] = {}
    for name, _, columns in prep.transformers_:
        if name == "remainder" or name == "missing":
            continue
        kind = ColumnType.TEXT if name.startswith("text_") else _GROUP_KINDS.get(name)
        if kind is None:
            continue
        for column in columns:
            kinds[str(column)] = kind
    return {str(c): kinds[str(c)] for c in prep.feature_names_in_ if str(c) in kinds}


def training_rows(run: Run, dataset: Dataset) -> pd.DataFrame:
    """The rows the run could learn from: labelled rows that are not in its holdout."""
    check_run_data(run, dataset)
    frame = dataset.frame
    labelled = frame[frame[run.target].notna()]
    if run.holdout_index is not None and len(run.holdout_index):
        labelled = labelled.drop(index=run.holdout_index, errors="ignore")
    return labelled


def holdout_rows(run: Run, dataset: Dataset) -> pd.DataFrame:
    """The run's holdout rows in the run's order (empty when it had no holdout)."""
    check_run_data(run, dataset)
    if run.holdout_index is None or not len(run.holdout_index):
        return dataset.frame.iloc[:0]
    return dataset.frame.loc[run.holdout_index]


def check_run_data(run: Run, dataset: Dataset | None) -> None:
    """Refuse a run without a fitted model, or a dataset other than the one it was trained on."""
    if not run.has_model:
        raise RunDataError(
            f"{run.model_name} has no fitted model ({run.status.value}).",
            "Choose a run that finished training.",
        )
    if dataset is None or dataset.content_hash != run.dataset_hash:
        raise RunDataError(
            f"This run was trained on '{run.dataset_name}', which is not the dataset loaded now.",
            f"Load '{run.dataset_name}' again on the Data page to explain or export this run.",
        )
