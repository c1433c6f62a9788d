"""How much Explain computes by default, per preset (`mlcore.settings`): rows explained, the
background of the linear explainer, and the rows and repeats of permutation importance."""

from __future__ import annotations

from dataclasses import dataclass

from mlcore.settings import for_preset


@dataclass(frozen=True)
class ExplainBudget:
    rows: int = 1_000  # rows explained by the exact (tree and linear) explainers
    agnostic_rows: int = 50  # rows explained by the model-agnostic explainer, which is far slower
    linear_background: int = 1_000  # training rows the linear explainer centres on
    permutation_rows: int = 2_000
    permutation_repeats: int = 5
    fast_seconds: float = 4.0  # explanations expected to take longer than this run in the background


BUDGETS = {
    "standard": ExplainBudget(),
    "classroom": ExplainBudget(
        rows=300, agnostic_rows=20, linear_background=500, permutation_rows=1_000, permutation_repeats=3
    ),
    "thorough": ExplainBudget(
        rows=5_000,
        agnostic_rows=200,
        linear_background=5_000,
        permutation_rows=10_000,
        permutation_repeats=10,
    ),
}
BUDGET = for_preset(BUDGETS)
