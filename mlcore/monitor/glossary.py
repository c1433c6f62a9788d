"""What the Monitor page's verdicts mean, for a learner meeting drift for the first time (the same form
as the Evaluate page's explanations: a text, and a formula as LaTeX and as plain text)."""

from __future__ import annotations

from mlcore.evaluate.glossary import Explanation

DRIFT_TESTS = Explanation(
    "Is a feature's change real, or chance?",
    "Two samples from the same data never look exactly alike, so each feature gets a test: how often "
    "would a difference this large appear if nothing had changed? That chance is the p-value. Numbers are "
    "compared with the Kolmogorov–Smirnov test (the largest gap between the two cumulative "
    "distributions, with its exact distribution for small samples); categories with a chi-square "
    "statistic whose distribution under no change is simulated by reshuffling the rows. Because the "
    "threshold comes from that distribution at these very sample sizes, 'no change' is flagged in about "
    "5 of 100 batches, whether the batch has 50 rows or a million; a fixed rule such as 'PSI above 0.2' "
    "cannot promise that.",
    r"p = P(\text{a difference at least this large} \mid \text{nothing changed})",
    "p = P(a difference at least this large | nothing changed)",
)
MANY_FEATURES = Explanation(
    "Testing many features at once",
    "Test twenty features at 5% each and one of them will look drifted most days, by chance alone. The "
    "Benjamini–Hochberg correction raises the bar with the number of tests (the corrected p-value is "
    "called q), so that on data where nothing changed the whole table is flagged in at most 5% of "
    "batches. Features the model relies on more (their permutation importance) are given more weight, "
    "so a change where it matters is found with less evidence; but a feature is never flagged when its "
    "own p-value, tested alone, is above 5%.",
    r"\text{flag the } k \text{ smallest } \frac{p_i}{w_i}"
    r" \text{ where } \frac{p_{(k)}}{w_{(k)}} \le \frac{k}{m}\,\alpha",
    "flag the k smallest p/w, the largest k with p(k)/w(k) ≤ (k/m)·α",
)
REAL_BUT_SMALL = Explanation(
    "Real but small",
    "With enough rows, a test finds even a change nobody should care about. So a feature counts as "
    "drifted only when the change is also large enough: for numbers, the distance the values moved "
    "(Wasserstein) measured in training standard deviations, at least 0.1; for categories, the "
    "Jensen–Shannon distance between the shares, at least 0.05. PSI is shown for readers who know it; "
    "it plays no part in the verdict.",
    r"\text{shift} = \frac{W_1(\text{training}, \text{new})}{\sigma_{\text{training}}}",
    "shift = Wasserstein distance(training, new) / standard deviation in training",
)
DECAY = Explanation(
    "Did the model get worse?",
    "When the new rows come with the true answer, the model's score on them is compared with its score on "
    "its holdout at training time. Both are estimates from a limited number of rows, so each gets a 95% "
    "interval by resampling the rows (the bootstrap), and a drop counts only when it is beyond what "
    "resampling alone produces.",
    r"\text{worse when } \Pr_{\text{bootstrap}}\big(\text{holdout} - \text{now} \le 0\big) < 5\%",
    "worse when, over the bootstrap resamples, holdout − now is above 0 at least 95% of the time",
)
RETRAINING = Explanation(
    "Retraining, and why some new rows are held out",
    "Retraining fits the same recipe (preprocessing, model, settings, seed) on the rows it learned from "
    "plus most of the new labelled rows. A part of the new rows is held out first: both the old and the "
    "new model are scored on it, which is the fair test of whether retraining helped on the data the "
    "model now meets. The new model becomes the next version of the registered model; it serves only "
    "once you make it the champion.",
)
