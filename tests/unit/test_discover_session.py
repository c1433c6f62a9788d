"""Discover's analyses for a page (`mlcore.discover.session`) and the bugs a review found in them."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from test_discover_data import blobs, dataset_of

from mlcore.dataset import with_column
from mlcore.discover.prepared import prepare
from mlcore.discover.projections import tsne_projection
from mlcore.discover.session import DiscoverSession
from mlcore.errors import MLCoreError, SchemaError
from mlcore.schema import ColumnType
from mlcore.track.projects import ProjectStore
from mlcore.track.recorder import Recorder
from mlcore.train.prep_spec import PrepSpec


def test_starting_an_analysis_stops_the_one_of_the_same_kind_started_for_other_settings():
    """Regression: changing t-SNE's perplexity (or k, the data …) while a map was being made left the
    first worker running with no Stop button; every start added another."""
    dataset, _ = blobs(3_000)
    session = DiscoverSession()
    session.start_tsne(dataset, PrepSpec(), 0, 30.0, 2)
    session.start_tsne(dataset, PrepSpec(), 0, 40.0, 2)
    try:
        assert session.results.running == [session.tsne_key(dataset, PrepSpec(), 0, 40.0, 2)]
    finally:
        session.stop(session.tsne_key(dataset, PrepSpec(), 0, 40.0, 2))


def test_keys_hold_only_the_preprocessing_discover_applies():
    """Regression: the training steps of Prepare (PCA, k best, resampling) were in the keys and in the
    tracked params, though Discover never applies them."""
    dataset, _ = blobs(100)
    session = DiscoverSession()
    training = PrepSpec(pca_components=2, k_best=2, imbalance="oversample")
    assert session.clusters_key(dataset, training, 0) == session.clusters_key(dataset, PrepSpec(), 0)


def test_setting_k_keeps_the_comparison_of_k():
    """Regression: "Use k = 4" changed the key of the comparison it came from, which then vanished."""
    dataset, _ = blobs(100)
    session = DiscoverSession()
    before = session.ks_key(dataset, PrepSpec(), 0, (2, 3, 4))
    session.set_param("kmeans", "n_clusters", 4, {"n_clusters": 3})
    assert session.ks_key(dataset, PrepSpec(), 0, (2, 3, 4)) == before


def test_tsne_maps_a_table_with_fewer_columns_than_dimensions():
    """Regression: t-SNE's PCA start needs as many columns as dimensions; one feature gave sklearn's error."""
    frame = pd.DataFrame({"a": np.random.default_rng(0).normal(size=80)})
    projection = tsne_projection(prepare(dataset_of(frame)), perplexity=10.0, dimensions=2)
    assert projection.coordinates.shape == (80, 2) and np.isfinite(projection.coordinates).all()


@pytest.mark.parametrize("name", ["", "  ", " cluster"])
def test_a_new_column_needs_a_name_without_spaces_at_its_ends(name: str):
    dataset, _ = blobs(20)
    with pytest.raises(SchemaError, match="A column needs a name"):
        with_column(dataset, name, np.zeros(20), ColumnType.NUMERIC, "test")


def test_a_failure_that_is_not_ours_does_not_end_the_tracking_thread(tmp_path):
    """Regression (found by review): any error but an `MLCoreError` ended the thread that logs to MLflow,
    and every later run went untracked without a word."""
    recorder = Recorder(ProjectStore(tmp_path), tracker=None)
    done = []
    recorder._tracks.put(lambda: (_ for _ in ()).throw(ValueError("skops could not write it")))
    recorder._tracks.put(lambda: done.append(True))
    assert recorder.flush(30)
    assert done == [True]
    assert recorder.problem is None  # the later work succeeded
    recorder._tracks.put(lambda: (_ for _ in ()).throw(ValueError("again")))
    assert recorder.flush(30)
    assert isinstance(recorder.problem, MLCoreError) and "ValueError: again" in recorder.problem.message
    recorder._tracks.put(lambda: done.append(True))
    assert recorder.flush(30) and done == [True, True]
