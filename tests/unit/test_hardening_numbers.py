"""Issue 11, item 16: numbers written for people, the same way everywhere."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from model_helpers import make_dataset, make_frame, train

from mlcore.explain import shap_values
from mlcore.explain.explainer import explain_run, run_explainer
from mlcore.explain.mistakes import confidently_wrong
from mlcore.explain.plots import row_labels, waterfall
from mlcore.explain.shap_values import Estimate, ExplainSettings
from mlcore.formatting import number, percent, plural, row_numbers, signed, size
from mlcore.schema import Task
from mlcore.train.models import cost_warning, get_model


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (51_660.3, "51,660"),  # was "5.166e+04" in a waterfall label
        (1822.4, "1,822"),
        (-1822.4, "−1,822"),
        (12.3456789, "12.35"),
        (0.01234, "0.01234"),
        (3, "3"),
        (1_234_567.0, "1,234,567"),
        (float("nan"), "–"),
    ],
)
def test_number_has_no_exponent_and_thousands_separated(value, text):
    assert number(value) == text


def test_signed_and_percent_never_round_to_certainty():
    assert signed(1822.4) == "+1,822" and signed(-1822.4) == "−1,822" and signed(0) == "0"
    assert percent(0.9978) == "99.8%"  # was "100% sure"
    assert percent(0.99996) == ">99.9%" and percent(0.00001) == "<0.1%"
    assert percent(1.0) == "100.0%" and percent(0.0) == "0.0%"


def test_one_row_and_many_rows():
    assert (
        plural(1, "row") == "1 row" and plural(2, "row") == "2 rows" and plural(1000, "row") == "1,000 rows"
    )
    assert plural(2, "class", "classes") == "2 classes"


def test_a_small_table_is_not_zero_megabytes():
    """Explore showed 'Memory 0.0 MB' for a 12 KB table."""
    assert [size(n) for n in (1, 830, 12_100, 1_300_000, 35 * 2**20, 3_600_000_000)] == [
        "1 byte",
        "830 bytes",
        "12 KB",
        "1.2 MB",
        "35 MB",
        "3.4 GB",
    ]


def test_rows_are_numbered_as_the_user_counts_them():
    """The row picker's 'row 651' was the user's row 652: index labels start at 0, people at 1."""
    assert row_numbers(pd.RangeIndex(1000), [651, 0]) == [652, 1]
    assert row_numbers(pd.Index(["b", "a", "c"]), ["c", "b"]) == [3, 1]  # an index of its own: by position
    assert row_numbers(pd.Index([5, 5, 7]), [7, 5]) == [3, 1]


def test_the_same_residual_reads_the_same_on_evaluate_and_explain():
    """Explain said 'error +1.82e+03' (predicted − actual) where Evaluate said residual −1822."""
    from mlcore.evaluate.holdout import residual_frame

    dataset = make_dataset(make_frame(120), "price")
    run = train(dataset, "ridge")
    wrong = confidently_wrong(run)
    residuals = residual_frame(run)
    first = wrong.iloc[0]
    assert first["residual"] == residuals.loc[first["row"], "residual"]  # actual − predicted, both pages
    assert first["residual"] == pytest.approx(first["actual"] - first["predicted"])


def test_waterfall_labels_and_steps_are_plain_numbers():
    labels = row_labels(pd.Series({"income": 51_660.3, "city": "Leeds", "age": np.nan}))
    assert labels == {"income": "income = 51,660", "city": "city = Leeds", "age": "age = missing"}
    figure = waterfall(pd.Series({"income": 1822.4, "age": -0.25}), 41_000.0)
    assert list(figure.data[0].text) == ["41,000", "+1,822", "−0.25", "42,822"]


def test_the_sampled_model_note_tells_the_two_durations_apart():
    """'about 1 s' for both choices: estimates under a second were rounded up to one."""
    warning = cost_warning(get_model(Task.CLASSIFICATION, "rbf_svm"), 5_500, 4)
    assert warning is not None and "about 1 s" not in warning.message
    assert "under a second" in warning.message


def test_a_quick_explanation_is_not_about_under_a_second():
    """Explain and Train each had their own duration wording; Explain's said 'about under a second'."""
    assert Estimate("tree", 10, 0.2).message().endswith(": under a second.")
    assert Estimate("tree", 10, 30.0).message().endswith(": about 30 s.")
    assert Estimate("kernel", 50, 600.0).message().endswith(": about 10 min.")


def test_a_slow_shap_run_reports_progress_inside_its_first_row(monkeypatch):
    """A slow run showed 'starting' and an empty bar until its first row was done, minutes later."""
    monkeypatch.setattr(shap_values, "PROGRESS_SECONDS", 0.0)
    dataset = make_dataset(make_frame(80), "label")
    run = train(dataset, "knn")
    settings = ExplainSettings(agnostic_rows=3, background=10, nsamples=200)
    events: list[dict] = []
    explain_run(run, dataset, settings, events.append)
    messages = [e["message"] for e in events]
    assert messages[0].startswith("preparing the explainer")
    first_done = messages.index("explained 1 of 3 rows")
    inside = [e for e in events[1:first_done] if e["message"] == "explaining row 1 of 3"]
    assert inside and all(0 < e["progress"] < 1 / 3 for e in inside)
    progress = [e["progress"] for e in events]
    assert progress == sorted(progress)  # never goes back
    assert run_explainer(run, dataset, settings)._on_evaluated is None  # nothing left behind
