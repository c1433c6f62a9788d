"""Short "what this means and how to read it" texts for learners, one per metric and per chart.

Written for a student meeting the idea for the first time: what the number or picture says, how to
read it, and a trap to avoid. Formulas are LaTeX (the page renders them; the HTML report shows them
as text). TP, FP, FN, TN are true/false positives/negatives; y is the true value, ŷ the prediction.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Explanation:
    title: str
    text: str
    formula: str | None = None


_METRICS = {
    "accuracy": Explanation(
        "Accuracy",
        "The share of rows the model got right. Easy to read, but misleading when one class is much more "
        "common: a model that always answers the common class can score high while being useless.",
        r"\text{accuracy} = \frac{\text{correct predictions}}{\text{all predictions}}",
    ),
    "balanced_accuracy": Explanation(
        "Balanced accuracy",
        "The average of the recall of each class: every class counts the same, however rare. A model "
        "that always answers the common class scores only 1 / (number of classes). Prefer it to "
        "accuracy when the classes are unbalanced.",
        r"\text{balanced accuracy} = \frac{1}{K}\sum_{k=1}^{K} \text{recall}_k",
    ),
    "precision_macro": Explanation(
        "Precision (macro)",
        "Precision of a class: of the rows the model called that class, the share that really were. "
        "Macro averages it over the classes, each class counting the same.",
        r"\text{precision}_k = \frac{TP_k}{TP_k + FP_k}",
    ),
    "recall_macro": Explanation(
        "Recall (macro)",
        "Recall of a class: of the rows that really are that class, the share the model found. Macro "
        "averages it over the classes, each class counting the same.",
        r"\text{recall}_k = \frac{TP_k}{TP_k + FN_k}",
    ),
    "f1_macro": Explanation(
        "F1 (macro)",
        "F1 combines precision and recall of a class into one number; it is high only when both are "
        "high. Macro averages the classes' F1 with equal weight, so rare classes matter as much as "
        "common ones.",
        r"F1_k = 2\,\frac{\text{precision}_k \cdot \text{recall}_k}{\text{precision}_k + \text{recall}_k}",
    ),
    "precision_weighted": Explanation(
        "Precision (weighted)",
        "Each class's precision averaged with weights equal to how many rows of that class there are. "
        "Common classes dominate it; compare with the macro average to see whether rare classes suffer.",
        r"\sum_k \frac{n_k}{n}\,\text{precision}_k",
    ),
    "recall_weighted": Explanation(
        "Recall (weighted)",
        "Each class's recall weighted by the class's number of rows. For single-label problems this "
        "equals accuracy.",
        r"\sum_k \frac{n_k}{n}\,\text{recall}_k",
    ),
    "f1_weighted": Explanation(
        "F1 (weighted)",
        "Each class's F1 weighted by the class's number of rows. Close to accuracy when classes are "
        "balanced; when the macro F1 is much lower, the model struggles with the rare classes.",
        r"\sum_k \frac{n_k}{n}\,F1_k",
    ),
    "roc_auc": Explanation(
        "ROC AUC",
        "The chance that the model gives a randomly picked row of the class a higher score than a "
        "randomly picked row of another class. 0.5 is guessing, 1 is a perfect ranking. It judges the "
        "scores, not one threshold. With more than two classes it is the average of each class against "
        "the rest (one-vs-rest, macro).",
        r"\text{AUC} = P\big(\text{score}(x^{+}) > \text{score}(x^{-})\big)",
    ),
    "log_loss": Explanation(
        "Log loss",
        "How surprised the model is by the true answers, on average. Confident wrong answers are "
        "punished heavily. Lower is better; 0 is perfect. It needs probabilities, so models that give "
        "only decision values have none.",
        r"-\frac{1}{n}\sum_{i=1}^{n} \log p_i(y_i)",
    ),
    "mcc": Explanation(
        "Matthews correlation",
        "A correlation between the predicted and the true classes: 1 is perfect, 0 no better than "
        "guessing, −1 always wrong. It stays honest on unbalanced data because it uses all four cells "
        "of the confusion matrix.",
        r"\text{MCC} = \frac{TP\cdot TN - FP\cdot FN}{\sqrt{(TP+FP)(TP+FN)(TN+FP)(TN+FN)}}",
    ),
    "mae": Explanation(
        "MAE (mean absolute error)",
        "The average size of an error, in the target's own units: 'the prediction is off by this much on "
        "average'. Every error counts in proportion to its size.",
        r"\text{MAE} = \frac{1}{n}\sum_{i} |y_i - \hat y_i|",
    ),
    "mse": Explanation(
        "MSE (mean squared error)",
        "The average squared error. Squaring makes big errors count much more than small ones; its unit "
        "is the target's unit squared, so it is hard to read on its own — RMSE is its readable twin.",
        r"\text{MSE} = \frac{1}{n}\sum_{i} (y_i - \hat y_i)^2",
    ),
    "rmse": Explanation(
        "RMSE (root mean squared error)",
        "The square root of the MSE, back in the target's units. It is always at least the MAE; a much "
        "larger RMSE than MAE means a few large errors.",
        r"\text{RMSE} = \sqrt{\frac{1}{n}\sum_{i} (y_i - \hat y_i)^2}",
    ),
    "r2": Explanation(
        "R² (coefficient of determination)",
        "The share of the target's variation the model explains, compared with always predicting the "
        "mean. 1 is perfect, 0 is no better than the mean, and it can be negative when the model is "
        "worse than the mean.",
        r"R^2 = 1 - \frac{\sum_i (y_i - \hat y_i)^2}{\sum_i (y_i - \bar y)^2}",
    ),
    "mape": Explanation(
        "MAPE (mean absolute percentage error)",
        "The average error as a share of the true value (0.1 means 10 % off on average). Handy to "
        "compare across scales, but undefined when a true value is zero (then it is not shown) and "
        "exploding when true values are close to zero.",
        r"\text{MAPE} = \frac{1}{n}\sum_{i} \left|\frac{y_i - \hat y_i}{y_i}\right|",
    ),
    "median_ae": Explanation(
        "Median absolute error",
        "Half of the predictions are off by less than this, half by more. Unlike MAE it ignores how bad "
        "the worst errors are, so it shows the typical error when there are outliers.",
        r"\operatorname{median}_i |y_i - \hat y_i|",
    ),
}

_CHARTS = {
    "cv_vs_holdout": Explanation(
        "Cross-validation and holdout",
        "Cross-validation (CV) splits the training rows into folds; each fold is scored by a model "
        "trained on the other folds, and the mean ± standard deviation summarises them. The holdout is "
        "a share of rows kept aside and scored once by the final model. CV says how stable a model is; "
        "the holdout is the fairest single check on unseen rows. Choose models by CV and confirm on the "
        "holdout — choosing by the holdout makes it optimistic.",
    ),
    "fold_spread": Explanation(
        "Spread of the CV scores",
        "Each dot is the model's score on one fold; the box covers the middle half of the folds and the "
        "dashed line marks the mean. If the boxes of two models overlap a lot, the difference between "
        "their means may be luck of the split rather than a better model.",
    ),
    "class_report": Explanation(
        "Per-class report",
        "Precision, recall and F1 of each class on the holdout, with its support (number of true rows). "
        "Look for classes much worse than the others: they are where the model needs more data, better "
        "features or class weights.",
    ),
    "confusion_counts": Explanation(
        "Confusion matrix (counts)",
        "Rows are the true classes, columns what the model predicted. The diagonal holds the correct "
        "predictions; every other cell is a kind of mistake, e.g. row 'cat', column 'dog' counts cats "
        "called dogs.",
    ),
    "confusion_normalized": Explanation(
        "Confusion matrix (row shares)",
        "Each row is divided by its total, so a row shows where the rows of one true class ended up. "
        "The diagonal is each class's recall. Use it when classes have very different sizes.",
        r"\text{cell}_{jk} = \frac{\#(\text{true } j,\ \text{predicted } k)}{\#(\text{true } j)}",
    ),
    "oof_confusion": Explanation(
        "Out-of-fold confusion matrix",
        "Every training row predicted by the fold model that did not see it, pooled over the folds. It "
        "uses many more rows than the holdout, so small classes are judged more reliably.",
    ),
    "roc": Explanation(
        "ROC curve",
        "Each point is one threshold on the model's score: across, the share of negatives wrongly "
        "flagged (false positive rate); up, the share of positives found (true positive rate). A curve "
        "hugging the top-left corner is better; the diagonal is guessing. The area under it is the ROC "
        "AUC. With more than two classes, each class is drawn against the rest.",
        r"\text{TPR} = \frac{TP}{TP+FN},\quad \text{FPR} = \frac{FP}{FP+TN}",
    ),
    "pr": Explanation(
        "Precision-recall curve",
        "Each point is one threshold: across, the share of the class found (recall); up, how many of "
        "the rows flagged are right (precision). Higher and further right is better. The flat dashed "
        "line is a guessing model, at the class's share of rows. Prefer it to ROC when the class of "
        "interest is rare. The area is the average precision (AP).",
    ),
    "calibration": Explanation(
        "Calibration curve",
        "Rows are grouped by predicted probability (0–10 %, 10–20 %, …); each point shows the average "
        "prediction of a group against how often the class really occurred in it. On the diagonal, a "
        "predicted 70 % happens 70 % of the time. Below the diagonal the model is over-confident, above "
        "it under-confident. The Brier score is the mean squared error of the probabilities (lower is "
        "better).",
        r"\text{Brier} = \frac{1}{n}\sum_i (p_i - y_i)^2",
    ),
    "threshold": Explanation(
        "Choosing a threshold",
        "A binary classifier gives each row a score and calls it positive when the score is above a "
        "threshold (0.5 for probabilities by default). Lowering the threshold finds more positives "
        "(recall up) but flags more negatives by mistake (precision down); raising it does the "
        "opposite. The best threshold depends on what a mistake costs: missing a disease is worse than "
        "a false alarm. Choose it on validation data, not on the holdout you report.",
    ),
    "learning_curve": Explanation(
        "Learning curve",
        "The model is retrained on growing shares of the training rows. The training score shows how "
        "well it fits what it saw, the validation score how well it does on new rows. A large gap means "
        "overfitting (more data or a simpler model helps); two low curves that meet mean underfitting "
        "(a more flexible model or better features help). If the validation curve still rises at the "
        "right, more data would probably help.",
    ),
    "validation_curve": Explanation(
        "Validation curve",
        "One hyperparameter is varied while everything else stays as in the run. Where the training "
        "score is high but the validation score drops, the model overfits; where both are low, it "
        "underfits. The best value is where the validation score peaks.",
    ),
    "predicted_vs_actual": Explanation(
        "Predicted against actual",
        "Each dot is a holdout row: across its true value, up the prediction. Perfect predictions lie "
        "on the dashed diagonal. Dots far from it are large errors; a cloud flatter than the diagonal "
        "means the model pulls predictions towards the average.",
    ),
    "residuals_vs_predicted": Explanation(
        "Residuals against predicted",
        "A residual is the true value minus the prediction. They should scatter evenly around zero "
        "with no pattern. A curve means a relation the model missed; a funnel (spread growing with the "
        "prediction) means errors grow with the value — a log transform of the target may help.",
        r"r_i = y_i - \hat y_i",
    ),
    "residual_distribution": Explanation(
        "Distribution of residuals",
        "How often each size of error occurs. A good model's residuals are centred on zero and narrow. "
        "A shift away from zero means the model is biased (too high or too low on average); long tails "
        "are the rare large errors listed below.",
    ),
    "largest_errors": Explanation(
        "Largest errors",
        "The holdout rows the model got most wrong, with their columns. Look for something they share: "
        "an unusual value, a rare category, a data-entry error. That is often the fastest way to improve "
        "a model or the data.",
    ),
}

EXPLANATIONS: dict[str, Explanation] = _METRICS | _CHARTS


def explain(key: str) -> Explanation:
    """The explanation of a metric or chart; a `ValueError` names the known keys otherwise."""
    try:
        return EXPLANATIONS[key]
    except KeyError:
        raise ValueError(f"No explanation for '{key}'. Known: {', '.join(EXPLANATIONS)}.") from None
