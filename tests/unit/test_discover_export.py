"""Discover's export: the labelled CSV, and a clustering's bundle whose cluster.py, run in a plain
interpreter on the original file, gives every row the cluster the workbench gave it."""

from __future__ import annotations

import ast
import io
import json
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import skops.io as sio
from model_helpers import plain_env
from sklearn.datasets import make_blobs

from mlcore.data.loading import load_path
from mlcore.dataset import Dataset, build_dataset, hash_frame
from mlcore.deploy.bundle import DATA_FILE, TRUSTED_TYPES
from mlcore.deploy.codegen import check_script
from mlcore.discover.budget import DiscoverBudget
from mlcore.discover.clustering import NOISE, fit_clusters
from mlcore.discover.errors import DiscoverError
from mlcore.discover.export import SCRIPT, cluster_bundle, free_column, labelled_csv
from mlcore.discover.prepared import prepare, sample_rows
from mlcore.markup import markdown_text

HOSTILE = ['quote"d', "tri'''ple", 'tri"""ple', "back\\slash", "new\nline", "__import__('os')"]
LINK = "![x](http://h/p.png)"


def _frame(
    n: int = 300, seed: int = 0, names: tuple[str, str] = ("a", "b")
) -> tuple[pd.DataFrame, np.ndarray]:
    """Three round clusters in two numbers, a category that follows them, one cell like a formula."""
    X, y = make_blobs(n, centers=3, n_features=2, cluster_std=0.8, random_state=seed)
    frame = pd.DataFrame(X, columns=list(names))
    frame["shop"] = np.array(["north", "south", "east"], dtype=object)[y]
    frame.loc[5, "shop"] = "=1+1"
    return frame, y


def _dataset(frame: pd.DataFrame, name: str = "t.csv", source: str = "test") -> Dataset:
    return build_dataset(frame, name=name, source=source, content_hash=hash_frame(frame))


def _read_back(data: bytes) -> pd.DataFrame:
    return pd.read_csv(io.BytesIO(data), keep_default_na=False)


def test_the_labelled_csv_appends_the_columns_by_position_and_escapes_formulas():
    frame, _ = _frame(120)
    dataset = _dataset(frame)
    fit = fit_clusters(prepare(dataset), "kmeans", {"n_clusters": 3})
    scores = pd.Series(np.linspace(0, 1, 120), index=np.arange(120)[::-1])  # its own index is ignored
    out = _read_back(labelled_csv(dataset, {"cluster": fit.labels, "anomaly_score": scores}))
    assert list(out.columns) == ["a", "b", "shop", "cluster", "anomaly_score"]
    np.testing.assert_array_equal(out["cluster"], fit.labels)
    np.testing.assert_allclose(out["anomaly_score"], np.linspace(0, 1, 120))
    np.testing.assert_allclose(out["a"], frame["a"])
    assert out.loc[5, "shop"] == "'=1+1" and out.loc[6, "shop"] == frame.loc[6, "shop"]


def test_a_clash_or_a_wrong_length_is_refused_with_a_hint():
    frame, _ = _frame(60)
    frame["cluster"], frame["cluster_2"] = 1, 2
    dataset = _dataset(frame)
    assert free_column(dataset) == "cluster_3" and free_column(dataset, "score") == "score"
    with pytest.raises(DiscoverError, match="already has a column called 'cluster'") as clash:
        labelled_csv(dataset, {"cluster": np.zeros(60, int)})
    assert "cluster_3" in clash.value.hint
    with pytest.raises(DiscoverError, match="59 values for 60 rows"):
        labelled_csv(dataset, {"score": np.zeros(59)})


def _extract(files: dict[str, bytes], where: Path) -> Path:
    where.mkdir(parents=True)
    for name, data in files.items():
        (where / name).write_bytes(data)
    return where


def _start(folder: Path, data: Path) -> subprocess.Popen:
    """cluster.py run in a plain interpreter, as a user without the workbench runs it."""
    return subprocess.Popen(
        [sys.executable, SCRIPT, str(data), "-o", "out.csv"],
        cwd=folder,
        env=plain_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_cluster_py_gives_every_row_its_cluster(tmp_path):
    """On the original file read by the workbench's reader, and on the bundled data.csv: k-means,
    mini-batch k-means, agglomerative on a sample, DBSCAN on a sample with noise, hostile names."""
    frame, _ = _frame()
    path = tmp_path / "shops.csv"
    frame.to_csv(path, index=False)
    from_file = load_path(path)
    hostile_frame, _ = _frame(names=(HOSTILE[0], HOSTILE[1]))
    for i, name in enumerate(HOSTILE[2:]):
        hostile_frame[name] = hostile_frame[HOSTILE[0]] * (i + 2)
    hostile_frame = hostile_frame.rename(columns={"shop": LINK})
    hostile = _dataset(hostile_frame, name='ev"""il\n\\ na\'me.csv', source="upload: evil")
    cases = {  # name: (dataset, algorithm, settings, budget, file cluster.py reads)
        "kmeans": (from_file, "kmeans", {"n_clusters": 3}, DiscoverBudget(), path),
        "minibatch": (_dataset(frame), "kmeans", {"n_clusters": 3}, DiscoverBudget(minibatch_rows=100), None),
        "agglomerative": (
            from_file,
            "agglomerative",
            {"n_clusters": 3},
            DiscoverBudget(agglomerative_rows=120),
            path,
        ),
        "dbscan": (
            from_file,
            "dbscan",
            {"eps": 0.25, "min_samples": 6},
            DiscoverBudget(density_rows=200),
            path,
        ),
        "hostile": (hostile, "kmeans", {"n_clusters": 3}, DiscoverBudget(), None),
    }
    runs = {}
    for case, (dataset, key, params, budget, data) in cases.items():
        fit = fit_clusters(prepare(dataset), key, params, budget=budget)
        bundle = cluster_bundle(fit, dataset)
        assert SCRIPT in bundle.files, bundle.notes  # check_script passed
        folder = _extract(bundle.files, tmp_path / case)
        if data is None and case == "hostile":
            data = tmp_path / "hostile.csv"  # the user's own copy of their upload
            hostile_frame.to_csv(data, index=False)
        runs[case] = (dataset, fit, bundle, _start(folder, data or folder / DATA_FILE))
    assert cases["minibatch"][0].source == "test"  # no file of its own: the bundle carries it
    for case, (dataset, fit, bundle, process) in runs.items():
        out, err = process.communicate(timeout=120)
        assert process.returncode == 0, f"{case}: {err}"
        script = bundle.text(SCRIPT)
        assert "mlcore" not in script, case
        written = (tmp_path / case / "out.csv").read_bytes()
        np.testing.assert_array_equal(_read_back(written)[free_column(dataset)], fit.labels)
        assert written == labelled_csv(dataset, {"cluster": fit.labels}), case  # byte for byte
        card = json.loads(bundle.files["model_card.json"])
        assert json.loads(out.strip().splitlines()[-1]) == card["clusters"], case
    assert runs["minibatch"][1].estimator_name == "MiniBatchKMeans"
    assert "MiniBatchKMeans(" in runs["minibatch"][2].text(SCRIPT)
    agglomerative = runs["agglomerative"][1]
    np.testing.assert_array_equal(agglomerative.fitted_rows, sample_rows(300, 120, 0))
    assert "SAMPLE_ROWS = 120" in runs["agglomerative"][2].text(SCRIPT)
    assert "SAMPLE_ROWS = None" in runs["kmeans"][2].text(SCRIPT)
    dbscan = runs["dbscan"][1]
    assert dbscan.fitted_rows is not None and 0 < dbscan.n_noise < 300
    in_sample = np.zeros(300, bool)
    in_sample[dbscan.fitted_rows] = True
    assert (dbscan.labels[~in_sample] == NOISE).any()  # rows beyond every core row's reach


def test_hostile_names_are_escaped_everywhere():
    frame, _ = _frame(90)
    frame.columns = [HOSTILE[2], HOSTILE[5], LINK]
    frame[HOSTILE[4]] = frame[HOSTILE[2]] - frame[HOSTILE[5]]
    dataset = _dataset(frame, name=f'{HOSTILE[2]}{HOSTILE[4]}"""; import os #.csv')
    fit = fit_clusters(prepare(dataset), "kmeans", {"n_clusters": 3})
    bundle = cluster_bundle(fit, dataset)
    script = bundle.text(SCRIPT)
    docstring = ast.get_docstring(ast.parse(script), clean=False)
    assert check_script(script, docstring) == script
    assert dataset.name in docstring  # the name reads as itself, inside the docstring
    assert bundle.filename == "tri---plenew-line-----import-os-kmeans-clusters.zip"
    card_md = bundle.text("model_card.md")
    assert markdown_text(LINK) in card_md and LINK not in card_md
    assert markdown_text(HOSTILE[4]) in card_md and "new\nline" not in card_md
    title = json.loads(bundle.files["model_card.json"])["title"]
    assert bundle.text("README.md").startswith(f"# {markdown_text(title)}\n")
    assert '\n\n"""; import os' not in bundle.text("README.md")


def test_the_card_and_the_model_files():
    frame, _ = _frame(200)
    dataset = _dataset(frame)
    fit = fit_clusters(prepare(dataset), "kmeans", {"n_clusters": 3}, seed=7)
    bundle = cluster_bundle(fit, dataset)
    assert bundle.filename == "t-kmeans-clusters.zip"
    assert list(bundle.files) == [
        "model.joblib",
        "model.skops",
        "model_card.md",
        "model_card.json",
        SCRIPT,
        "README.md",
        "requirements.txt",
        DATA_FILE,
    ]
    assert sorted(zipfile.ZipFile(io.BytesIO(bundle.zip_bytes())).namelist()) == sorted(bundle.files)
    card = json.loads(bundle.files["model_card.json"])
    counts = np.bincount(fit.labels)
    assert card["clusters"] == {
        "count": 3,
        "sizes": {str(i): int(c) for i, c in enumerate(counts)},
        "noise": 0,
    }
    assert card["algorithm"]["estimator"].endswith("KMeans") and card["algorithm"]["params"] == {
        "n_clusters": 3
    }
    assert card["seed"] == 7 and card["fitting"] == {"rows": 200, "fitted_rows": 200, "sampled": False}
    assert [(f["name"], f["type"]) for f in card["features"]] == [
        ("a", "numeric"),
        ("b", "numeric"),
        ("shop", "categorical"),
    ]
    assert "scikit-learn" in card["versions"]
    for label, size in enumerate(counts):
        assert f"| cluster {label} | {size:,} |" in bundle.text("model_card.md")
    rows = dataset.frame[["a", "b", "shop"]]
    trusted = sio.loads(bundle.files["model.skops"], trusted=list(TRUSTED_TYPES))
    np.testing.assert_array_equal(trusted.predict(rows), fit.labels)
    np.testing.assert_array_equal(fit.pipeline.predict(rows), fit.labels)
    assert "scikit-learn==" in bundle.text("requirements.txt")
    assert "`model.predict(rows)`" in bundle.text("README.md")


def test_a_fit_of_another_table_is_refused():
    frame, _ = _frame(60)
    fit = fit_clusters(prepare(_dataset(frame)), "kmeans", {"n_clusters": 3})
    with pytest.raises(DiscoverError, match="cluster labels for 59 rows"):
        cluster_bundle(fit, _dataset(frame.iloc[:59]))
    with pytest.raises(DiscoverError, match="columns this table lacks: shop"):
        cluster_bundle(fit, _dataset(frame.drop(columns="shop")))
