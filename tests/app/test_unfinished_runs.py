"""AppTest: pages that need a trained model tell "nothing trained yet" apart from "everything
trained did not finish" (stopped, out of time or failed), which needs a different next step."""

from __future__ import annotations

import pytest

from mlcore.data.samples import load_sample
from mlcore.train.fit import failed_run, train_model
from mlcore.train.runs import ModelChoice, RunStatus, TrainRequest
from mlcore.train.split import SplitSpec

PAGES = {
    "pages/explain.py": "explain it",
    "pages/export.py": "export it",
    "pages/evaluate.py": "compare models here",
}


def _request(sample: str) -> TrainRequest:
    return TrainRequest(load_sample(sample), split=SplitSpec(cv_folds=2))


def _unfinished(sample: str) -> list:
    request = _request(sample)
    return [
        failed_run(
            request, ModelChoice("random_forest"), RunStatus.TIMED_OUT, "stopped after its time budget"
        ),
        failed_run(request, ModelChoice("knn"), RunStatus.FAILED, "fewer training rows than neighbours"),
        failed_run(request, ModelChoice("decision_tree"), RunStatus.STOPPED, "stopped by you"),
    ]


def _infos(at) -> list[str]:
    return [i.value for i in at.info]


@pytest.mark.parametrize("page", PAGES)
def test_only_unfinished_runs_are_named_as_such(page, open_with_runs):
    at = open_with_runs(page, load_sample("penguins"), _unfinished("penguins"))
    expected = (
        "All 3 models trained on 'Palmer penguins' did not finish (1 stopped, 1 out of time, 1 failed), so "
        "there is none to use yet: see the notes on the Train page's leaderboard for why. Train again "
        f"(with a larger time budget or other settings) to {PAGES[page]}."
    )
    assert expected in _infos(at)
    assert not [i for i in _infos(at) if "No trained model" in i]


def test_predict_names_unfinished_runs_and_still_offers_an_import(open_with_runs):
    at = open_with_runs("pages/predict.py", load_sample("penguins"), _unfinished("penguins")[2:])
    assert any(
        i.startswith("The model trained on 'Palmer penguins' did not finish (1 stopped)")
        and i.endswith("to predict with it. Or import a bundle exported earlier (above).")
        for i in _infos(at)
    )
    at = open_with_runs("pages/predict.py", load_sample("wine"), _unfinished("penguins"))
    assert (
        "No model yet: train one on the Train page, or import a bundle exported earlier (above)."
        in _infos(at)
    )


def test_one_unfinished_run_is_the_model(open_with_runs):
    runs = _unfinished("penguins")[:1]
    at = open_with_runs("pages/explain.py", load_sample("penguins"), runs)
    assert any(
        i.startswith("The model trained on 'Palmer penguins' did not finish (1 out of time)")
        for i in _infos(at)
    )


@pytest.mark.parametrize("page", PAGES)
def test_without_runs_the_message_is_unchanged(page, open_with_runs):
    """Unfinished runs on another dataset do not count for this one."""
    at = open_with_runs(page, load_sample("wine"), _unfinished("penguins"))
    assert (
        f"No trained model on 'Wine cultivars' yet. Train one on the Train page to {PAGES[page]}."
        in _infos(at)
    )


def test_a_finished_run_beside_unfinished_ones_is_offered(open_with_runs):
    finished = train_model(_request("penguins"), ModelChoice("naive_bayes"))
    at = open_with_runs("pages/export.py", load_sample("penguins"), [*_unfinished("penguins"), finished])
    picker = next(s for s in at.selectbox if s.label == "Model")
    assert picker.options == [f"Gaussian naive Bayes · CV accuracy {finished.cv_mean['accuracy']:.3f}"]
    assert not [i for i in _infos(at) if "did not finish" in i]
