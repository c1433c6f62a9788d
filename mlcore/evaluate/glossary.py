"""Short "what this means and how to read it" texts for learners, one per metric and per chart.

Written for a student meeting the idea for the first time: what the number or picture says, how to
read it, and a trap to avoid. Each formula comes twice: as LaTeX (`formula`, rendered by the page)
and as plain text (`plain`, for the HTML report, which must open offline without a maths renderer).
TP, FP, FN, TN are true/false positives/negatives; y is the true value, ŷ the prediction.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Explanation:
    title: str
    text: str
    formula: str | None = None  # LaTeX, as st.latex / KaTeX reads it
    plain: str | None = None  # the same formula as plain text (unicode, no LaTeX commands)


_METRICS = {
    "accuracy": Explanation(
        "Accuracy",
        "The share of rows the model got right. Easy to read, but misleading when one class is much more "
        "common: a model that always answers the common class can score high while being useless.",
        r"\text{accuracy} = \frac{\text{correct predictions}}{\text{all predictions}}",
        "accuracy = correct predictions / all predictions",
    ),
    "balanced_accuracy": Explanation(
        "Balanced accuracy",
        "The average of the recall of each class: every class counts the same, however rare. A model "
        "that always answers the common class scores only 1 / K (K = number of classes). Prefer it to "
        "accuracy when the classes are unbalanced.",
        r"\text{balanced accuracy} = \frac{1}{K}\sum_{k=1}^{K} \text{recall}_k",
        "balanced accuracy = (1/K) · Σₖ recallₖ",
    ),
    "precision_macro": Explanation(
        "Precision (macro)",
        "Precision of a class k: of the rows the model called k, the share that really were k. Macro "
        "is the plain, unweighted mean of the K classes' precisions, so a rare class counts as much as "
        "a common one. A class the model never predicts counts as 0.",
        r"\text{precision}_{\text{macro}} = \frac{1}{K}\sum_{k=1}^{K} \frac{TP_k}{TP_k + FP_k}",
        "precision (macro) = (1/K) · Σₖ TPₖ / (TPₖ + FPₖ)",
    ),
    "recall_macro": Explanation(
        "Recall (macro)",
        "Recall of a class k: of the rows that really are k, the share the model found. Macro is the "
        "plain, unweighted mean of the K classes' recalls: the balanced accuracy again, unless a class "
        "is missing from the rows scored (it then counts as 0 here).",
        r"\text{recall}_{\text{macro}} = \frac{1}{K}\sum_{k=1}^{K} \frac{TP_k}{TP_k + FN_k}",
        "recall (macro) = (1/K) · Σₖ TPₖ / (TPₖ + FNₖ)",
    ),
    "f1_macro": Explanation(
        "F1 (macro)",
        "The F1 of a class is the harmonic mean of its precision and recall: high only when both are "
        "high. Macro is the plain, unweighted mean of the K classes' F1, so rare classes matter as much "
        "as common ones.",
        r"F1_{\text{macro}} = \frac{1}{K}\sum_{k=1}^{K} F1_k,\quad "
        r"F1_k = \frac{2\,\text{precision}_k\,\text{recall}_k}{\text{precision}_k + \text{recall}_k}",
        "F1 (macro) = (1/K) · Σₖ F1ₖ,  F1ₖ = 2 · precisionₖ · recallₖ / (precisionₖ + recallₖ)",
    ),
    "precision_weighted": Explanation(
        "Precision (weighted)",
        "The classes' precisions averaged with weights nₖ / n, where nₖ (the support) is the number of "
        "rows truly in class k. Common classes dominate it; compare with the macro average to see "
        "whether rare classes suffer.",
        r"\text{precision}_{\text{weighted}} = \sum_{k=1}^{K} \frac{n_k}{n}\,\text{precision}_k",
        "precision (weighted) = Σₖ (nₖ / n) · precisionₖ",
    ),
    "recall_weighted": Explanation(
        "Recall (weighted)",
        "The classes' recalls averaged with weights nₖ / n (nₖ = rows truly in class k). For "
        "single-label problems this is exactly the accuracy, so it adds nothing new.",
        r"\text{recall}_{\text{weighted}} = \sum_{k=1}^{K} \frac{n_k}{n}\,\text{recall}_k",
        "recall (weighted) = Σₖ (nₖ / n) · recallₖ",
    ),
    "f1_weighted": Explanation(
        "F1 (weighted)",
        "The classes' F1 averaged with weights nₖ / n (nₖ = rows truly in class k). Common classes "
        "dominate it; when the macro F1 is much lower, the model struggles with the rare classes.",
        r"F1_{\text{weighted}} = \sum_{k=1}^{K} \frac{n_k}{n}\,F1_k",
        "F1 (weighted) = Σₖ (nₖ / n) · F1ₖ",
    ),
    "roc_auc": Explanation(
        "ROC AUC",
        "The chance that the model gives a randomly picked row of the class a higher score than a "
        "randomly picked row of another class (ties count half). 0.5 is guessing, 1 a perfect ranking, "
        "below 0.5 worse than guessing. It judges the ranking by the scores, not one threshold. With "
        "more than two classes it is the plain mean of each class against the rest (one-vs-rest, macro).",
        r"\text{AUC} = P\big(s(x^{+}) > s(x^{-})\big) + \tfrac{1}{2}\,P\big(s(x^{+}) = s(x^{-})\big)",
        "AUC = P(s(x⁺) > s(x⁻)) + ½ · P(s(x⁺) = s(x⁻)),  s = the model's score",
    ),
    "log_loss": Explanation(
        "Log loss",
        "How surprised the model is by the true answers, on average: pᵢ(yᵢ) is the probability it gave "
        "to row i's true class, and log is the natural log. Confident wrong answers are punished "
        "heavily. Lower is better; 0 is perfect, and giving every one of K classes the probability 1/K "
        "scores log K (0.69 for two classes). It needs probabilities, so models that give only decision "
        "values have none.",
        r"\text{log loss} = -\frac{1}{n}\sum_{i=1}^{n} \ln p_i(y_i)",
        "log loss = −(1/n) · Σᵢ ln pᵢ(yᵢ)",
    ),
    "mcc": Explanation(
        "Matthews correlation",
        "A correlation between the predicted and the true classes: 1 is perfect, 0 no better than "
        "guessing, negative worse than guessing (−1, always wrong, is reachable with two classes). It "
        "stays honest on unbalanced data because it uses the whole confusion matrix: for two classes "
        "all four cells (the formula), for more classes the generalised form over every cell.",
        r"\text{MCC} = \frac{TP\cdot TN - FP\cdot FN}{\sqrt{(TP+FP)(TP+FN)(TN+FP)(TN+FN)}}",
        "MCC = (TP·TN − FP·FN) / √((TP+FP)(TP+FN)(TN+FP)(TN+FN))",
    ),
    "mae": Explanation(
        "MAE (mean absolute error)",
        "The average size of an error, in the target's own units: 'the prediction is off by this much on "
        "average'. Every error counts in proportion to its size.",
        r"\text{MAE} = \frac{1}{n}\sum_{i=1}^{n} |y_i - \hat y_i|",
        "MAE = (1/n) · Σᵢ |yᵢ − ŷᵢ|",
    ),
    "mse": Explanation(
        "MSE (mean squared error)",
        "The average squared error. Squaring makes big errors count much more than small ones; its unit "
        "is the target's unit squared, so it is hard to read on its own — RMSE is its readable twin.",
        r"\text{MSE} = \frac{1}{n}\sum_{i=1}^{n} (y_i - \hat y_i)^2",
        "MSE = (1/n) · Σᵢ (yᵢ − ŷᵢ)²",
    ),
    "rmse": Explanation(
        "RMSE (root mean squared error)",
        "The square root of the MSE, back in the target's units. It is always at least the MAE; the "
        "more it exceeds the MAE, the more the error sizes vary — often a few large errors.",
        r"\text{RMSE} = \sqrt{\frac{1}{n}\sum_{i=1}^{n} (y_i - \hat y_i)^2}",
        "RMSE = √( (1/n) · Σᵢ (yᵢ − ŷᵢ)² )",
    ),
    "r2": Explanation(
        "R² (coefficient of determination)",
        "The share of the target's variation the model explains, compared with always predicting the "
        "mean ȳ of the true values. 1 is perfect, 0 is no better than the mean, and it is negative when "
        "the model is worse than the mean (the ² in the name does not prevent that).",
        r"R^2 = 1 - \frac{\sum_i (y_i - \hat y_i)^2}{\sum_i (y_i - \bar y)^2}",
        "R² = 1 − Σᵢ (yᵢ − ŷᵢ)² / Σᵢ (yᵢ − ȳ)²",
    ),
    "mape": Explanation(
        "MAPE (mean absolute percentage error)",
        "The average error as a share of the true value (0.1 means 10 % off on average). Handy to "
        "compare across scales, but undefined when a true value is zero (then it is not shown) and "
        "exploding when true values are close to zero.",
        r"\text{MAPE} = \frac{1}{n}\sum_{i=1}^{n} \left|\frac{y_i - \hat y_i}{y_i}\right|"
        r",\quad \text{all } y_i \neq 0",
        "MAPE = (1/n) · Σᵢ |(yᵢ − ŷᵢ) / yᵢ|,  all yᵢ ≠ 0",
    ),
    "median_ae": Explanation(
        "Median absolute error",
        "Half of the predictions are off by less than this, half by more. Unlike MAE it ignores how bad "
        "the worst errors are, so it shows the typical error when there are outliers.",
        r"\text{median AE} = \operatorname{median}_i |y_i - \hat y_i|",
        "median AE = median over i of |yᵢ − ŷᵢ|",
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
        "features or class weights. With a small support, a class's scores are noisy.",
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
        "cell(j, k) = #(true j, predicted k) / #(true j)",
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
        "TPR = TP / (TP + FN),  FPR = FP / (FP + TN)",
    ),
    "pr": Explanation(
        "Precision-recall curve",
        "Each point is one threshold: across, the share of the class found (recall); up, how many of "
        "the rows flagged are right (precision). A curve reaching towards the top-right corner is "
        "better. The flat dashed line is a guessing model, at the class's share of rows. Prefer it to "
        "ROC when the class of interest is rare. The average precision (AP) sums the precision at each "
        "threshold times the recall gained there: close to the area under the curve.",
        r"\text{AP} = \sum_{t} (R_t - R_{t-1})\,P_t",
        "AP = Σₜ (Rₜ − Rₜ₋₁) · Pₜ   (P, R: precision and recall at threshold t)",
    ),
    "calibration": Explanation(
        "Calibration curve",
        "Each point is a bin of rows with similar predicted probability (0–10 %, 10–20 %, …): across, "
        "their average prediction; up, how often the class really occurred among them. On the "
        "diagonal, a predicted 70 % happens 70 % of the time. A point below the diagonal means the "
        "class happens less often than predicted (the probabilities there are too high); above it, more "
        "often than predicted (too low). Hover to see a bin's rows: bins with few rows are noisy, so "
        "do not read a pattern into them. The Brier score in the legend is the mean squared difference "
        "between the predicted probability and the 0/1 outcome; lower is better.",
        r"\text{Brier} = \frac{1}{n}\sum_{i=1}^{n} (p_i - o_i)^2,\quad o_i \in \{0, 1\}",
        "Brier = (1/n) · Σᵢ (pᵢ − oᵢ)²,  oᵢ = 1 if row i is of the class, else 0",
    ),
    "threshold": Explanation(
        "Choosing a threshold",
        "A binary classifier gives each row a score and calls it positive when the score is above a "
        "threshold (by default 0.5 for probabilities, 0 for decision values). Lowering the threshold "
        "finds more positives (recall rises or stays) but usually flags more negatives by mistake "
        "(precision tends to fall); raising it does the opposite. The best threshold depends on what a "
        "mistake costs: missing a disease is worse than a false alarm. Choose it on validation data: a "
        "threshold tuned on the holdout flatters the holdout's scores.",
    ),
    "learning_curve": Explanation(
        "Learning curve",
        "On each CV fold the model is retrained on growing shares of the fold's training rows. The "
        "training score shows how well it fits what it saw, the validation score how well it does on "
        "the fold's unseen rows; lines are means over the folds, bands ± one standard deviation. A "
        "large gap means overfitting (more data or a simpler model helps); two poor curves that meet "
        "mean underfitting (a more flexible model or better features help). If the validation curve "
        "still improves at the right, more data would probably help. For errors (RMSE, MAE) lower is "
        "better, so read the curves upside down.",
    ),
    "validation_curve": Explanation(
        "Validation curve",
        "One hyperparameter is varied while everything else stays as in the run, scored on the CV "
        "folds (bands ± one standard deviation; the dotted line marks this run's value). Where the "
        "training score is good but the validation score gets worse, the model overfits; where both "
        "are poor, it underfits. The best value is where the validation score is best: highest, or "
        "lowest for errors such as RMSE.",
    ),
    "predicted_vs_actual": Explanation(
        "Predicted against actual",
        "Each dot is a holdout row: across its true value, up the prediction. Perfect predictions lie "
        "on the dashed diagonal. Dots far from it are large errors; a cloud flatter than the diagonal "
        "means the model pulls predictions towards the average.",
    ),
    "residuals_vs_predicted": Explanation(
        "Residuals against predicted",
        "A residual is the true value minus the prediction: positive when the model predicted too low. "
        "They should scatter evenly around zero with no pattern. A curve means a relation the model "
        "missed; a funnel (spread growing with the prediction) means errors grow with the value — a "
        "log transform of the target may help.",
        r"r_i = y_i - \hat y_i",
        "rᵢ = yᵢ − ŷᵢ",
    ),
    "residual_distribution": Explanation(
        "Distribution of residuals",
        "How often each size of error occurs. A good model's residuals are centred on zero and narrow. "
        "Centred above zero, the model predicts too low on average; below zero, too high. Long tails "
        "are the rare large errors listed below.",
    ),
    "largest_errors": Explanation(
        "Largest errors",
        "The holdout rows with the largest absolute error, with their columns. Look for something they "
        "share: an unusual value, a rare category, a data-entry error. That is often the fastest way to "
        "improve a model or the data.",
    ),
}

EXPLANATIONS: dict[str, Explanation] = _METRICS | _CHARTS


def explain(key: str) -> Explanation:
    """The explanation of a metric or chart; a `ValueError` names the known keys otherwise."""
    try:
        return EXPLANATIONS[key]
    except KeyError:
        raise ValueError(f"No explanation for '{key}'. Known: {', '.join(EXPLANATIONS)}.") from None
