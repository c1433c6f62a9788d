"""The session workspace's rules about runs, tested without a browser."""

from __future__ import annotations

from mlcore.data.samples import load_sample
from mlcore.schema import ColumnType
from mlcore.train.fit import train_model
from mlcore.train.runs import ModelChoice, Run, TrainRequest
from mlcore.train.split import SplitSpec
from mlcore.workspace import Workspace

FAST = ("naive_bayes", "decision_tree")


def _runs(sample: str) -> list[Run]:
    request = TrainRequest(load_sample(sample), split=SplitSpec(cv_folds=2))
    return [train_model(request, ModelChoice(m)) for m in FAST]


def test_clearing_the_leaderboard_keeps_other_datasets_runs():
    """Clearing Wine's leaderboard must not take the penguins' models with it (they were lost before)."""
    penguins, wine = _runs("penguins"), _runs("wine")
    workspace = Workspace(runs=[*penguins, *wine])
    kept, cleared = penguins[0].id, wine[0].id
    workspace.repeats = {kept: True, cleared: True}
    workspace.use_run = cleared
    workspace.evaluation.selected = (kept, cleared)
    workspace.evaluation.thresholds = {kept: 0.3, cleared: 0.7}
    assert workspace.load_sample("wine")
    assert workspace.current_runs() == wine

    workspace.clear_runs()

    assert workspace.current_runs() == []
    assert workspace.runs == penguins
    # What is remembered by run id goes with the cleared runs, and only with them.
    assert workspace.repeats == {kept: True}
    assert workspace.use_run is None
    assert workspace.evaluation.selected == (kept,)
    assert workspace.evaluation.thresholds == {kept: 0.3}

    assert workspace.load_sample("penguins")
    assert workspace.current_runs() == penguins


def test_clearing_without_a_dataset_changes_nothing():
    runs = _runs("iris")
    workspace = Workspace(runs=list(runs))
    workspace.clear_runs()
    assert workspace.runs == runs


def test_a_column_added_is_a_new_version_of_the_dataset_that_training_uses():
    ws = Workspace()
    assert ws.load_sample("iris")
    before = ws.dataset
    labels = (before.frame["petal length (cm)"] > 2.5).astype(int)  # a made-up "cluster"
    assert ws.add_column("cluster", labels, ColumnType.CATEGORICAL, "k-means, 2 clusters")
    after = ws.dataset
    assert after.content_hash != before.content_hash and after.name == f"{before.name} + cluster"
    assert after.column("cluster").ctype is ColumnType.CATEGORICAL and "cluster" in after.features
    assert after.target == before.target and after.frame["cluster"].tolist() == labels.tolist()
    assert [c.ctype for c in after.columns[:-1]] == [c.ctype for c in before.columns]
    assert "cluster" in ws.train_request((ModelChoice("decision_tree"),)).dataset.features
    assert not ws.add_column("cluster", labels, ColumnType.CATEGORICAL, "again")  # the name is taken
    assert "already a column named 'cluster'" in ws.problem.message and ws.dataset is after
