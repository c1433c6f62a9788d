"""`mlcore discover`: the app's clustering behind a command line, with plain errors."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from sklearn.cluster import KMeans
from sklearn.datasets import make_blobs
from sklearn.metrics import adjusted_rand_score, silhouette_score
from sklearn.preprocessing import StandardScaler

from mlcore.cli import main
from mlcore.data.loading import load_path
from mlcore.dataset import set_target
from mlcore.discover.clustering import fit_clusters
from mlcore.discover.prepared import prepare

ROWS, K = 400, 4


@pytest.fixture(scope="module")
def blobs() -> tuple[pd.DataFrame, np.ndarray]:
    X, y = make_blobs(ROWS, centers=K, n_features=3, cluster_std=0.6, random_state=3)
    return pd.DataFrame(X, columns=["a", "b", "c"]), y


@pytest.fixture(scope="module")
def blobs_csv(blobs, tmp_path_factory):
    path = tmp_path_factory.mktemp("data") / "blobs.csv"
    blobs[0].to_csv(path, index=False)
    return path


def test_k_auto_picks_the_true_k_and_the_json_has_the_numbers(blobs, blobs_csv, capsys):
    assert main(["discover", str(blobs_csv), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["k_choice"]["recommended"] == K and out["params"] == {"n_clusters": K}
    assert out["k_choice"]["reason"].startswith(f"k = {K}: the best silhouette")
    assert [s["k"] for s in out["k_choice"]["scores"]] == list(range(2, 11))
    assert out["rows"] == ROWS and out["features"] == ["a", "b", "c"] and out["algorithm"] == "kmeans"
    assert sum(out["sizes"].values()) + out["noise"] == ROWS and out["clusters"] == K
    scaled = StandardScaler().fit_transform(blobs[0])
    labels = KMeans(K, random_state=0).fit_predict(scaled)  # the prepared matrix is the scaled table
    assert out["sizes"] == {str(i): int(n) for i, n in enumerate(np.bincount(labels))}
    assert out["silhouette"]["mean"] == pytest.approx(silhouette_score(scaled, labels))
    assert out["agreement"] is None and out["output"] is None
    assert [p["rows"] for p in out["profiles"]] == list(np.bincount(labels))


def test_output_holds_the_labels_of_a_direct_fit_and_text_names_them(blobs, blobs_csv, tmp_path, capsys):
    written = tmp_path / "labelled.csv"
    assert main(["discover", str(blobs_csv), "--k", "3", "--seed", "2", "-o", str(written)]) == 0
    text = capsys.readouterr().out
    direct = fit_clusters(prepare(load_path(blobs_csv), seed=2), "kmeans", {"n_clusters": 3}, seed=2)
    out = pd.read_csv(written)
    np.testing.assert_array_equal(out["cluster"], direct.labels)
    np.testing.assert_allclose(out[["a", "b", "c"]], blobs[0])
    assert "blobs.csv: 400 rows, 3 feature(s): a, b, c" in text
    assert "k-means (KMeans), n_clusters=3, seed 2" in text and "choosing k" not in text
    for label, size in enumerate(np.bincount(direct.labels)):
        assert f"{size:,} rows  cluster {label} (" in text
    assert "`" not in text and "silhouette: mean" in text
    assert f"wrote {written} (each row's cluster in 'cluster')" in text


def test_gmm_with_a_target_compares_clusters_with_its_classes(blobs, tmp_path, capsys):
    frame = blobs[0].assign(cluster=np.array(["w", "x", "y", "z"])[blobs[1]])  # a column named cluster
    path = tmp_path / "classes.csv"
    frame.to_csv(path, index=False)
    written = tmp_path / "out.csv"
    args = ["discover", str(path), "--algorithm", "gmm", "--k", "4", "--target", "cluster"]
    assert main([*args, "--json", "-o", str(written)]) == 0
    out = json.loads(capsys.readouterr().out)
    dataset = set_target(load_path(path), "cluster")
    direct = fit_clusters(prepare(dataset), "gaussian_mixture", {"n_components": 4})
    labels = pd.read_csv(written)["cluster_2"].to_numpy()  # the table's own 'cluster' is kept
    np.testing.assert_array_equal(labels, direct.labels)
    assert out["algorithm"] == "gaussian_mixture" and out["estimator"] == "GaussianMixture"
    assert out["features"] == ["a", "b", "c"] and out["output"]["column"] == "cluster_2"
    ari = adjusted_rand_score(frame["cluster"], direct.labels)
    assert out["agreement"]["scores"]["adjusted_rand"] == pytest.approx(ari) and ari > 0.99


def test_dbscan_with_k_is_refused_plainly(blobs_csv, capsys):
    assert main(["discover", str(blobs_csv), "--algorithm", "dbscan", "--k", "3"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: DBSCAN finds the number of clusters by itself")
    assert "hint: Leave out --k" in err and "Traceback" not in err


def test_dbscan_settings_and_noise(blobs_csv, capsys):
    args = ["discover", str(blobs_csv), "--algorithm", "dbscan", "--param", "eps=0.2", "--json"]
    assert main([*args, "--param", "min_samples=8"]) == 0
    out = json.loads(capsys.readouterr().out)
    direct = fit_clusters(prepare(load_path(blobs_csv)), "dbscan", {"eps": 0.2, "min_samples": 8})
    assert out["params"] == {"eps": 0.2, "min_samples": 8} and out["k_choice"] is None
    assert out["noise"] == direct.n_noise > 0
    assert out["sizes"] == {
        str(i): int(n) for i, n in enumerate(np.bincount(direct.labels[direct.labels >= 0]))
    }
    assert main(["discover", str(blobs_csv), "--param", "eps=0.2"]) == 2
    assert "k-means has no setting called 'eps'" in capsys.readouterr().err


def test_a_table_of_identifiers_alone_gets_the_plain_message(tmp_path, capsys):
    path = tmp_path / "ids.csv"
    pd.DataFrame({"customer_id": [f"c{i:04d}" for i in range(60)]}).to_csv(path, index=False)
    assert main(["discover", str(path)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: No column can be used") and "Traceback" not in err
