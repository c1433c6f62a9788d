"""`python -m mlcore evaluate … --report OUT.html`: the comparison report from the command line."""

from __future__ import annotations

import json
import re

import pytest
from sklearn import metrics as skm

from mlcore.cli import main
from mlcore.data.loading import load_path
from mlcore.data.samples import load_sample
from mlcore.dataset import set_target
from mlcore.evaluate.holdout import EvalError, evaluate_run
from mlcore.evaluate.report import build_report
from mlcore.train.fit import train_model
from mlcore.train.runs import ModelChoice, TrainRequest
from mlcore.train.split import SplitSpec


def _explain_blocks(html: str) -> list[str]:
    """The inner HTML of every learners' explanation in a report (text, then its formula if any)."""
    return re.findall(r'<div class="explain">(.*?(?:<div class="formula">.*?</div>)?)</div>', html)


def _assert_readable_formulas(html: str) -> None:
    blocks = _explain_blocks(html)
    assert blocks
    for block in blocks:
        assert not re.search(r"\\[A-Za-z]+|[_^]\{", block), block  # no raw LaTeX such as \frac
    assert '<div class="formula">' in html


@pytest.fixture(scope="module")
def csv_files(tmp_path_factory):
    folder = tmp_path_factory.mktemp("data")
    for name in ("breast_cancer", "diabetes"):
        load_sample(name).frame.to_csv(folder / f"{name}.csv", index=False)
    return folder


def test_report_is_self_contained_and_has_the_apps_numbers(csv_files, tmp_path, capsys):
    out = tmp_path / "report.html"
    csv = csv_files / "breast_cancer.csv"
    args = ["evaluate", str(csv), "--target", "diagnosis", "--models", "logistic_regression,naive_bayes"]
    assert main([*args, "--cv", "3", "--seed", "2", "--workers", "1", "--report", str(out), "--json"]) == 0
    scores = json.loads(capsys.readouterr().out)
    html = out.read_text(encoding="utf-8")
    assert html.startswith("<!DOCTYPE html>") and html.count("Plotly.newPlot") >= 6
    assert not re.search(r"<script[^>]+src=", html)  # plotly.js is embedded: the file opens offline
    for text in (
        "Logistic regression",
        "Gaussian naive Bayes",
        "Confusion matrices",
        "ROC curve",
        "Calibration",
        "What each score means",
        "Thresholds (binary)",
        "best F1 on the holdout",
        "their scores are optimistic",
    ):
        assert text in html
    dataset = set_target(load_path(csv), "diagnosis")
    request = TrainRequest(dataset, split=SplitSpec(test_size=0.2, cv_folds=3), seed=2)
    local = train_model(request, ModelChoice("logistic_regression"))
    holdout = scores["holdout"]["Logistic regression"]
    assert holdout["accuracy"] == skm.accuracy_score(local.y_true, local.y_pred)
    assert holdout == evaluate_run(local, dataset).metrics
    assert f"{holdout['mcc']:.4f}" in html
    _assert_readable_formulas(html)
    assert "precision (macro) = (1/K) · Σₖ TPₖ / (TPₖ + FPₖ)" in html
    assert "less often than predicted" in html and "over-confident" not in html
    cv = [
        row for row in scores["cv"] if row["model"] == "Logistic regression" and row["metric"] == "accuracy"
    ]
    assert cv[0]["mean"] == local.cv_mean["accuracy"] and cv[0]["folds"] == 3
    cv_table = html.split("Cross-validation (mean", 1)[1].split("</thead>", 1)[0]
    headers = re.findall(r"<th[^>]*>(.*?)</th>", cv_table)
    assert headers == ["metric", "Logistic regression", "Gaussian naive Bayes", "best"]


def test_regression_report(csv_files, tmp_path, capsys):
    out = tmp_path / "diabetes.html"
    csv = str(csv_files / "diabetes.csv")
    args = ["evaluate", csv, "--target", "progression", "--models", "ridge", "--cv", "0", "--workers", "1"]
    assert main([*args, "--report", str(out)]) == 0
    assert "comparing 1 model(s)" in capsys.readouterr().out
    html = out.read_text(encoding="utf-8")
    for text in ("Predicted against actual", "Largest errors", "Distribution of residuals", "RMSE"):
        assert text in html
    assert "Cross-validation (mean" not in html  # no CV folds, no CV table
    _assert_readable_formulas(html)
    assert "RMSE = √( (1/n) · Σᵢ (yᵢ − ŷᵢ)² )" in html


def test_bad_requests_print_a_message_and_hint(csv_files, tmp_path, capsys):
    csv = str(csv_files / "diabetes.csv")
    target = ["--target", "progression"]
    assert main(["evaluate", csv, *target, "--test-size", "0", "--report", str(tmp_path / "r.html")]) != 0
    assert "needs one" in capsys.readouterr().err
    assert main(["evaluate", csv, *target, "--report", str(tmp_path / "missing" / "r.html")]) != 0
    assert "does not exist" in capsys.readouterr().err
    with pytest.raises(EvalError):
        build_report([])
