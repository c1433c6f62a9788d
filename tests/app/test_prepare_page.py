"""AppTest for the Prepare page: widgets per column type, the pipeline summary, the split, bad input."""

from __future__ import annotations

import numpy as np
import pandas as pd
from streamlit.testing.v1 import AppTest

from mlcore.dataset import build_dataset, hash_frame
from mlcore.schema import Role
from mlcore.workspace import Workspace

PAGE = "pages/prepare.py"


def _sample(key: str) -> Workspace:
    workspace = Workspace()
    assert workspace.load_sample(key)
    return workspace


def _mixed() -> Workspace:
    """One column of each type: a 1,500-level category, numbers, dates, free text, true/false, an id."""
    rng = np.random.default_rng(0)
    n = 3000
    words = np.array(["good", "bad", "film", "plot", "actor", "scene", "slow", "fun", "long", "dull"])
    frame = pd.DataFrame(
        {
            "code": [f"c{i % 1500}" for i in range(n)],
            "x": rng.normal(size=n),
            "when": pd.date_range("2020-01-01", periods=n, freq="h"),
            "review": [" ".join(rng.choice(words, 12)) for _ in range(n)],
            "member": rng.random(n) > 0.5,
            "id": np.arange(n),
            "target": ["a", "b", "c"] * (n // 3),
        }
    )
    workspace = Workspace()
    workspace.dataset = build_dataset(frame, name="mixed", source="test", content_hash=hash_frame(frame))
    return workspace


def _by_label(elements, label: str):
    return next(e for e in elements if e.label == label)


def _step(at: AppTest, start: str) -> str:
    """The pipeline summary's line for one column group or step (its wording belongs to mlcore)."""
    lines = [line.removeprefix("- ") for m in at.markdown for line in m.value.splitlines()]
    return next(line for line in lines if line.startswith(start))


def _text(at: AppTest) -> str:
    return "\n".join(e.value for e in [*at.markdown, *at.info, *at.caption, *at.error, *at.warning])


def test_without_a_dataset_the_page_points_to_the_data_page(open_app):
    at = open_app(PAGE)
    assert "Load one on the Data page" in at.info[0].value
    assert not at.selectbox


def test_without_a_target_the_page_says_so(open_app):
    workspace = _sample("iris")
    workspace.set_target(None)
    at = open_app(PAGE, workspace)
    assert "has no target yet" in at.info[0].value


def test_widgets_per_column_type_and_a_readable_summary(open_app):
    at = open_app(PAGE, _sample("penguins"))
    assert [t.label for t in at.tabs] == ["Numbers (5)", "Categories (2)", "Whole table"]
    assert "median" in _step(at, "Numbers (5)") and "standard (z-score)" in _step(at, "Numbers (5)")
    assert "'missing' level" in _step(at, "Categories (2)") and "one-hot" in _step(at, "Categories (2)")
    assert "fitted on the training rows of each cross-validation fold only" in _text(at)

    _by_label(at.selectbox, "Scale").set_value("robust").run()
    _by_label(at.selectbox, "Encode as").set_value("ordinal").run()
    _by_label(at.checkbox, "Keep only the k best features").check().run()
    _by_label(at.selectbox, "Class imbalance").set_value("smote").run()
    prep = at.session_state["workspace"].prep
    assert prep.numeric.scale == "robust"
    assert prep.categorical.encode == "ordinal"
    assert prep.k_best == 10
    assert prep.imbalance == "smote"
    assert "robust" in _step(at, "Numbers (5)")
    assert "ordinal" in _step(at, "Categories (2)") and "one-hot" not in _step(at, "Categories (2)")
    assert "10 best features by F-test" in _step(at, "Keep")
    assert "SMOTE (training rows only)" in _step(at, "Class imbalance")


def test_settings_survive_a_page_switch(open_app):
    at = open_app(PAGE, _sample("iris"))
    _by_label(at.selectbox, "Fill missing numbers with").set_value("knn").run()
    _by_label(at.checkbox, "Compress with PCA").check().run()
    at.number_input[0].set_value(2.0).run()  # the PCA amount: a whole number means components
    assert at.session_state["workspace"].prep.pca_components == 2
    at.switch_page("pages/data.py").run()
    at.switch_page(PAGE).run()
    assert _by_label(at.selectbox, "Fill missing numbers with").value == "knn"
    assert _by_label(at.checkbox, "Compress with PCA").value
    assert "(PCA, 2)" in _step(at, "Project onto principal components")
    assert "median" not in _step(at, "Numbers (4)")  # k-NN imputation now


def test_one_hot_without_a_level_cap_on_a_huge_category_is_explained(open_app):
    at = open_app(PAGE, _mixed())
    _by_label(at.checkbox, "Limit the number of levels").uncheck().run()
    assert not at.exception
    assert "'code' has 1,500 different values" in at.error[0].value
    assert at.session_state["workspace"].prep.categorical.max_levels is None


def test_no_features_left_is_explained(open_app):
    workspace = _sample("iris")
    for name in workspace.dataset.features:
        workspace.set_role(name, Role.IGNORE)
    at = open_app(PAGE, workspace)
    assert "No columns are left to learn from" in at.error[0].value


def test_split_widgets_and_preview(open_app):
    at = open_app(PAGE, _mixed())
    assert "Order by time" in [s.label for s in at.selectbox]
    _by_label(at.select_slider, "Holdout share (test rows set aside)").set_value(0.25).run()
    _by_label(at.selectbox, "Cross-validation folds").set_value(3).run()
    _by_label(at.number_input, "Seed").set_value(7).run()
    workspace = at.session_state["workspace"]
    assert (workspace.split.test_size, workspace.split.cv_folds, workspace.seed) == (0.25, 3, 7)
    assert "3-fold stratified cross-validation" in _text(at)
    assert "2,250 training rows, 750 holdout rows" in _text(at)

    _by_label(at.selectbox, "Order by time").set_value("when").run()
    assert "the latest 25% of rows by 'when'" in _text(at)
    assert _by_label(at.selectbox, "Keep groups together").disabled


def test_too_few_rows_of_a_class_for_the_folds_is_explained(open_app):
    workspace = _sample("iris")
    frame = workspace.dataset.frame.iloc[:103]  # 50 setosa, 50 versicolor, 3 virginica
    workspace.dataset = build_dataset(
        frame.reset_index(drop=True),
        name="few",
        source="test",
        content_hash=hash_frame(frame),
        target="species",
    )
    at = open_app(PAGE, workspace)
    _by_label(at.selectbox, "Cross-validation folds").set_value(5).run()
    # One of the three rows went to the stratified holdout.
    assert (
        "The class 'virginica' has only 2 row(s), too few to appear in each of the 5 folds"
        in at.error[0].value
    )
    assert "Use at most 2 folds" in at.error[0].value


def test_regression_has_no_imbalance_setting(open_app):
    at = open_app(PAGE, _sample("diabetes"))
    assert "Class imbalance" not in [s.label for s in at.selectbox]


def test_dates_text_booleans_and_identifiers(open_app):
    at = open_app(PAGE, _mixed())
    labels = ["Numbers (1)", "Categories (1)", "Dates (1)", "Text (1)", "Whole table"]
    assert [t.label for t in at.tabs] == labels
    assert "1 true/false column(s)" in _text(at)
    _by_label(at.multiselect, "Parts to extract from each date").set_value(["year", "dayofweek"]).run()
    _by_label(at.number_input, "Vocabulary size (most frequent words kept)").set_value(200).run()
    _by_label(at.selectbox, "Longest word sequence").set_value(2).run()
    prep = at.session_state["workspace"].prep
    assert prep.datetime.parts == ("year", "dayofweek")
    assert (prep.text.max_features, prep.text.ngram_max) == (200, 2)
    assert "year, day of week" in _step(at, "Dates (1)") and "month" not in _step(at, "Dates (1)")
    assert "TF-IDF" in _step(at, "Text (1)") and "200 words" in _step(at, "Text (1)")
    assert _step(at, "Not used (1)").endswith("id.")
