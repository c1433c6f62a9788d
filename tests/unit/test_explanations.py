"""The learners' explanations: correct readings, formulas that show the averaging, and a plain-text
twin of every LaTeX formula for the offline HTML report."""

from __future__ import annotations

import re

import pytest

from mlcore.evaluate.glossary import EXPLANATIONS, explain

LATEX_COMMAND = re.compile(r"\\[A-Za-z]+|[_^]\{")


@pytest.mark.parametrize("key", list(EXPLANATIONS))
def test_every_latex_formula_has_a_plain_text_twin(key):
    e = explain(key)
    assert (e.formula is None) == (e.plain is None), key
    if e.plain is not None:
        assert not LATEX_COMMAND.search(e.plain), f"{key}: {e.plain!r} is LaTeX, not plain text"
        assert "$" not in e.plain and "\\" not in e.plain
        assert "=" in e.plain or key == "median_ae"


@pytest.mark.parametrize("key", [k for k, e in EXPLANATIONS.items() if e.formula])
def test_latex_formulas_are_balanced(key):
    formula = explain(key).formula
    depth = 0
    for char in re.sub(r"\\[{}]", "", formula):
        depth += {"{": 1, "}": -1}.get(char, 0)
        assert depth >= 0, key
    assert depth == 0, key
    assert formula.count(r"\left") == formula.count(r"\right"), key


def test_calibration_reads_the_diagonal_correctly():
    text = explain("calibration").text
    assert "over-confident" not in text and "under-confident" not in text  # only true above 0.5
    assert "less often than predicted" in text and "more often than predicted" in text
    assert "bin" in text and "few rows" in text and "noisy" in text
    assert "Brier" in text and "lower is better" in text


@pytest.mark.parametrize("average", ["precision", "recall", "f1"])
def test_averaged_metrics_show_the_averaging(average):
    macro, weighted = explain(f"{average}_macro"), explain(f"{average}_weighted")
    assert r"\frac{1}{K}\sum_{k=1}^{K}" in macro.formula and "(1/K) · Σₖ" in macro.plain
    assert "unweighted mean" in macro.text
    assert r"\frac{n_k}{n}" in weighted.formula and "(nₖ / n)" in weighted.plain
    assert "nₖ" in weighted.text  # the weight is defined in words


def test_matthews_correlation_is_right_for_more_than_two_classes():
    text = explain("mcc").text
    assert "two classes" in text and "more classes" in text
    assert "1 is perfect" in text and "0 no better than guessing" in text


def test_formulas_that_were_easy_to_get_wrong():
    assert explain("log_loss").formula.startswith(r"\text{log loss} = -\frac{1}{n}")
    assert r"\ln p_i(y_i)" in explain("log_loss").formula
    assert r"y_i \neq 0" in explain("mape").formula and "yᵢ ≠ 0" in explain("mape").plain
    assert r"R^2 = 1 - " in explain("r2").formula
    assert r"\tfrac{1}{2}" in explain("roc_auc").formula  # ties count half
    assert "(R_t - R_{t-1})" in explain("pr").formula
    assert explain("residuals_vs_predicted").plain == "rᵢ = yᵢ − ŷᵢ"
    for key in ("learning_curve", "validation_curve"):
        assert "RMSE" in explain(key).text  # errors: lower is better
