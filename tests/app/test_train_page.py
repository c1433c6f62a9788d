"""AppTest for the Train page: choose models and settings, train in the background, leaderboard,
re-runs with identical numbers, failures, Stop, time budget, sample caps and tuning."""

from __future__ import annotations

import time
from dataclasses import replace

import pytest
from streamlit.testing.v1 import AppTest

from mlcore.data.generators import GeneratorSpec, Shape
from mlcore.data.samples import load_sample
from mlcore.dataset import build_dataset, hash_frame
from mlcore.schema import Role, Task
from mlcore.train.fit import train_model
from mlcore.train.runs import ModelChoice, TrainRequest
from mlcore.train.split import SplitSpec
from mlcore.workspace import Workspace

PAGE = "pages/train.py"
FAST = ["logistic_regression", "decision_tree", "naive_bayes"]


def _iris(models: list[str] = FAST, folds: int = 3) -> Workspace:
    workspace = Workspace()
    assert workspace.load_sample("iris")
    workspace.configure(split=SplitSpec(cv_folds=folds), model_keys=tuple(models))
    return workspace


def _by_label(elements, label: str):
    return next(e for e in elements if e.label == label)


def _train_button(at: AppTest):
    return next(b for b in at.button if b.label.startswith("Train "))


def _train_and_wait(at: AppTest, timeout: float = 120) -> None:
    _train_button(at).click().run()
    workspace = at.session_state["workspace"]
    assert workspace.train_problem is None, workspace.train_problem
    assert workspace.training.wait(timeout).state == "done"
    at.run()
    assert not at.exception


def _board(at: AppTest):
    return at.dataframe[-1].value


@pytest.mark.parametrize("target", [False, True])
def test_missing_dataset_or_target_points_to_the_data_page(target, open_app):
    workspace = None
    if target:
        workspace = Workspace()
        workspace.load_sample("iris")
        workspace.set_target(None)
    at = open_app(PAGE, workspace)
    assert ("has no target yet" if target else "No dataset yet") in at.info[0].value
    assert not [b for b in at.button if b.label.startswith("Train")]


def test_three_models_fill_the_leaderboard_a_rerun_is_identical_and_the_metric_selectable(open_app):
    workspace = _iris()
    at = open_app(PAGE, workspace)
    assert _train_button(at).label == "Train 3 models"
    _train_and_wait(at)
    board = _board(at)
    assert sorted(board["model"]) == ["Decision tree", "Gaussian naive Bayes", "Logistic regression"]
    assert (board["status"] == "ok").all()
    assert board["rank"].tolist() == [1, 2, 3]
    assert board["CV accuracy"].is_monotonic_decreasing

    # The page shows exactly what training in this process gives.
    direct = train_model(workspace.train_request(), ModelChoice("logistic_regression"))
    row = board.set_index("model").loc["Logistic regression"]
    assert row["CV accuracy"] == direct.cv_mean["accuracy"]
    assert row["CV ± std"] == direct.cv_std["accuracy"]
    assert row["holdout accuracy"] == direct.holdout["accuracy"]

    _train_and_wait(at)  # same data, settings and seed
    assert len(_board(at)) == 3  # the re-runs replace their twins
    assert _board(at)["CV accuracy"].tolist() == board["CV accuracy"].tolist()
    assert "every score came out identical" in at.success[0].value

    at.switch_page("pages/data.py").run()
    at.switch_page(PAGE).run()
    assert _board(at)["CV accuracy"].tolist() == board["CV accuracy"].tolist()

    _by_label(at.selectbox, "Rank by").set_value("f1_macro").run()
    assert _board(at).columns[3] == "CV F1 (macro)"
    assert _board(at)["CV F1 (macro)"].is_monotonic_decreasing
    assert workspace.metric == "f1_macro"


def test_hyperparameter_widgets_come_from_the_registry(open_app):
    workspace = _iris(["logistic_regression", "decision_tree"])
    at = open_app(PAGE, workspace)
    c = _by_label(at.number_input, "Regularisation C")
    assert "Smaller values keep the model simpler" in c.help
    assert "Range 0.001 to 1000" in c.help
    c.set_value(0.5).run()
    assert workspace.model_params[("classification", "logistic_regression")] == {"C": 0.5}

    _by_label(at.checkbox, "Maximum depth: no limit").uncheck().run()
    _by_label(at.number_input, "Maximum depth").set_value(3).run()
    _by_label(at.selectbox, "Split quality").set_value("entropy").run()
    choices = {c.key: c.params for c in workspace.model_choices()}
    assert choices == {
        "logistic_regression": {"C": 0.5},
        "decision_tree": {"max_depth": 3, "criterion": "entropy"},
    }
    assert "Changed from the defaults: Regularisation C = 0.5" in [c.value for c in at.caption]

    next(b for b in at.button if b.label == "Reset to defaults").click().run()
    assert len([c for c in workspace.model_choices() if c.params]) == 1


def test_compare_all_trains_the_default_set(open_app):
    at = open_app(PAGE, _iris([]))
    assert _train_button(at).disabled  # nothing chosen yet
    at.radio[0].set_value(True).run()
    assert _train_button(at).label == "Train 11 models"
    assert len(at.session_state["workspace"].model_choices()) == 11


def test_a_failing_model_is_marked_and_the_others_are_kept(open_app):
    workspace = _iris(["knn", "decision_tree"])
    workspace.configure(model_params={("classification", "knn"): {"n_neighbors": 200}})
    at = open_app(PAGE, workspace)
    _train_and_wait(at)
    board = _board(at).set_index("model")
    assert board.loc["Decision tree", "status"] == "ok"
    assert board.loc["k-nearest neighbours (n_neighbors=200)", "status"] == "failed"
    assert "fewer training rows than neighbours" in at.warning[0].value
    assert not at.exception


def test_too_few_rows_per_class_for_the_folds_is_a_plain_message(open_app):
    workspace = _iris(folds=5)
    frame = workspace.dataset.frame.iloc[:103]  # 50 setosa, 50 versicolor, 3 virginica
    workspace.dataset = build_dataset(
        frame, name="few", source="test", content_hash=hash_frame(frame), target="species"
    )
    at = open_app(PAGE, workspace)
    _train_button(at).click().run()
    assert not at.exception
    assert workspace.training is None
    assert any("too few to appear in each of the 5 folds" in e.value for e in at.error)


def test_a_one_class_target_is_a_plain_message(open_app):
    """The Data page refuses such a target; a dataset that has one anyway is stopped before training."""
    workspace = _iris(["decision_tree"])
    frame = workspace.dataset.frame.assign(kind="flower")
    dataset = build_dataset(frame, name="one class", source="test", content_hash=hash_frame(frame))
    columns = tuple(
        replace(c, role=Role.TARGET if c.name == "kind" else Role.FEATURE) for c in dataset.columns
    )
    workspace.dataset = replace(dataset, columns=columns, target="kind", task=Task.CLASSIFICATION)
    at = open_app(PAGE, workspace)
    _train_button(at).click().run()
    assert not at.exception
    assert "The column 'kind' has only one class ('flower')" in at.error[0].value
    assert workspace.training is None


def _slow_digits(budget: float | None = None) -> Workspace:
    workspace = Workspace()
    workspace.load_sample("digits")
    workspace.configure(
        split=SplitSpec(cv_folds=3),
        model_keys=("naive_bayes", "random_forest"),
        model_params={("classification", "random_forest"): {"n_estimators": 1000}},  # ~10 s a fit
        time_budget=budget,
    )
    return workspace


def test_stop_keeps_the_finished_models(open_app):
    workspace = _slow_digits()
    at = open_app(PAGE, workspace)
    _train_button(at).click().run()
    deadline = time.monotonic() + 120
    while not any(r.model_key == "naive_bayes" for r in workspace.runs):
        assert time.monotonic() < deadline
        time.sleep(0.2)
        workspace.poll_training()
    at.run()
    assert _train_button(at).disabled  # still running
    at.button(key="stop_training").click().run()
    assert workspace.training.poll().state == "stopped"
    at.run()
    board = _board(at).set_index("model")
    assert board.loc["Gaussian naive Bayes", "status"] == "ok"
    assert board.loc["Random forest (n_estimators=1000)", "status"] == "stopped"
    assert not _train_button(at).disabled


def test_a_model_over_its_time_budget_is_timed_out(open_app):
    workspace = _slow_digits(budget=5)
    at = open_app(PAGE, workspace)
    assert _by_label(at.selectbox, "Time budget per model").value == 5
    _train_and_wait(at)
    board = _board(at).set_index("model")
    assert board.loc["Random forest (n_estimators=1000)", "status"] == "timed out"
    assert board.loc["Gaussian naive Bayes", "status"] == "ok"
    assert "stopped after its time budget of 5 s" in at.warning[0].value


def test_super_linear_models_warn_and_the_cap_can_be_lifted(open_app):
    workspace = Workspace()
    workspace.generate(GeneratorSpec(Shape.BLOBS, n_samples=7000))
    workspace.configure(model_keys=("rbf_svm",))
    at = open_app(PAGE, workspace)
    assert "By default it trains on a random sample of 5,000 rows" in at.warning[0].value
    _by_label(at.checkbox, "Train SVM (RBF kernel) on all 5,600 training rows (slower)").check().run()
    assert workspace.model_choices() == (ModelChoice("rbf_svm", {}, capped=False),)


def test_tune_then_train_the_best_settings(open_app):
    workspace = _iris(["logistic_regression"])
    at = open_app(PAGE, workspace)
    assert _by_label(at.selectbox, "Model to tune").value == "logistic_regression"
    _by_label(at.radio, "Search").set_value("random").run()
    _by_label(at.multiselect, "Settings to search").set_value(["C"]).run()
    _by_label(at.number_input, "Trials").set_value(3).run()
    next(b for b in at.button if b.label == "Start tuning").click().run()
    assert workspace.tune_problem is None
    workspace.tuning.job.wait(120)
    at.run()
    trials = at.dataframe[-1].value
    assert len(trials) == 3 and (trials["status"] == "ok").all()
    best = workspace.tuning.poll()[1].best

    next(b for b in at.button if b.label == "Train the best settings as a new run").click().run()
    workspace.training.wait(120)
    at.run()
    run = workspace.current_runs()[-1]
    assert run.params["C"] == best.params["C"]
    assert run.cv_mean["accuracy"] == best.score  # the same folds as the search
    assert workspace.model_params[("classification", "logistic_regression")]["C"] == best.params["C"]


def test_the_model_list_follows_picks_and_the_workspace(open_app):
    at = open_app(PAGE, _iris(["naive_bayes"]))
    models = _by_label(at.multiselect, "Models")
    assert models.value == ["naive_bayes"]
    models.set_value(["naive_bayes", "decision_tree"]).run()
    workspace = at.session_state["workspace"]
    assert workspace.model_keys == ("naive_bayes", "decision_tree")
    assert _train_button(at).label == "Train 2 models"
    workspace.configure(model_keys=("logistic_regression",))  # changed elsewhere, e.g. a reset
    at.run()
    assert _by_label(at.multiselect, "Models").value == ["logistic_regression"]


def test_clearing_the_leaderboard_keeps_the_other_datasets_models(open_app):
    """Repro of a lost leaderboard: clearing Wine's board used to delete the penguins' models too."""
    boards = {}
    for sample in ("penguins", "wine"):
        request = TrainRequest(load_sample(sample), split=SplitSpec(cv_folds=2))
        boards[sample] = [train_model(request, ModelChoice(m)) for m in ("naive_bayes", "decision_tree")]
    workspace = Workspace(runs=[*boards["penguins"], *boards["wine"]])
    assert workspace.load_sample("wine")
    at = open_app(PAGE, workspace)
    assert len(_board(at)) == 2
    clear = at.button(key="clear_runs")
    assert clear.label == "Clear this dataset's leaderboard"
    assert "Models trained on other datasets" in clear.help
    clear.click().run()
    assert not at.exception
    assert "Trained models appear here as they finish." in [c.value for c in at.caption]
    assert workspace.runs == boards["penguins"]

    assert workspace.load_sample("penguins")
    at.run()
    assert sorted(_board(at)["model"]) == ["Decision tree", "Gaussian naive Bayes"]
