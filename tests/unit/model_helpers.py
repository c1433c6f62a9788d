"""Small tables and quickly trained runs for the explain, predict and bundle tests."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from threadpoolctl import threadpool_limits

from mlcore.dataset import Dataset, build_dataset, hash_frame
from mlcore.train.fit import train_model
from mlcore.train.prep_spec import PrepSpec
from mlcore.train.runs import ModelChoice, Run, TrainRequest
from mlcore.train.split import SplitSpec

FAST = {  # small ensembles keep the tests fast
    "xgboost": {"n_estimators": 20, "max_depth": 3},
    "random_forest": {"n_estimators": 20},
    "extra_trees": {"n_estimators": 20},
    "hist_gradient_boosting": {"max_iter": 20},
}


def make_frame(n: int = 120, seed: int = 0, dates: bool = False, text: bool = False) -> pd.DataFrame:
    """Numbers with missing values, a category with missing values, a flag, and three targets."""
    rng = np.random.default_rng(seed)
    a = rng.normal(size=n)
    b = rng.normal(size=n)
    colour = rng.choice(["red", "green", "blue"], n).astype(object)
    frame = pd.DataFrame({"a": a, "b": np.where(rng.random(n) < 0.1, np.nan, b), "colour": colour})
    frame.loc[rng.random(n) < 0.08, "colour"] = None
    frame["flag"] = rng.random(n) < 0.4
    if dates:
        frame["when"] = pd.Timestamp("2021-03-01") + pd.to_timedelta(rng.integers(0, 700, n), unit="D")
    if text:
        words = np.array(["good", "bad", "fast", "slow", "cheap", "dear", "new", "old"])
        frame["review"] = [" ".join(rng.choice(words, 6)) for _ in range(n)]
    score = a + 0.8 * (colour == "red") - 0.5 * frame["flag"] + 0.3 * rng.normal(size=n)
    frame["label"] = np.where(score > 0.2, "yes", "no")
    frame["kind"] = np.select([score < -0.4, score < 0.6], ["low", "mid"], "high")
    frame["price"] = 3 * a - 2 * np.nan_to_num(frame["b"]) + 1.5 * (colour == "blue") + rng.normal(size=n)
    return frame


def make_dataset(
    frame: pd.DataFrame, target: str, name: str = "table.csv", drop: tuple[str, ...] = ()
) -> Dataset:
    """A dataset as the app builds it; other target columns are dropped so they do not leak."""
    others = [c for c in ("label", "kind", "price") if c != target and c in frame.columns]
    frame = frame.drop(columns=[*others, *drop]).reset_index(drop=True)
    source = f"upload: {name}" if name.endswith((".csv", ".parquet")) else "sample: test"
    return build_dataset(frame, name=name, source=source, content_hash=hash_frame(frame), target=target)


def train(
    dataset: Dataset,
    key: str,
    prep: PrepSpec | None = None,
    split: SplitSpec | None = None,
    seed: int = 0,
    params: dict[str, Any] | None = None,
) -> Run:
    """One run trained in-process, single-threaded like the app's workers."""
    request = TrainRequest(
        dataset,
        prep=prep or PrepSpec(),
        split=split or SplitSpec(cv_folds=0),
        models=(ModelChoice(key, {**FAST.get(key, {}), **(params or {})}),),
        seed=seed,
    )
    with threadpool_limits(1):
        run = train_model(request, request.models[0])
    assert run.ok, run.message
    return run


def plain_env(**extra: str) -> dict[str, str]:
    """A user's shell: no PYTHONPATH pointing at the checkout and no preset chosen; `extra` adds to it."""
    drop = ("PYTHONPATH", "MLCORE_PRESET")
    return {**{k: v for k, v in os.environ.items() if k not in drop}, **extra}


def run_script(folder: Path, *args: str) -> subprocess.CompletedProcess:
    """Run a generated script (train.py, predict.py …) in `folder`, in a plain interpreter; it must pass."""
    done = subprocess.run(
        [sys.executable, *args], cwd=folder, env=plain_env(), capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    return done
