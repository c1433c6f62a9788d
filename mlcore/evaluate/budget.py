"""How much of a run's predictions Evaluate draws, per preset (`mlcore.settings`): curves and
scatter plots are thinned so a page of them stays quick in the browser."""

from __future__ import annotations

from dataclasses import dataclass

from mlcore.settings import for_preset


@dataclass(frozen=True)
class EvaluateBudget:
    curve_points: int = 400  # points kept per ROC / PR curve
    scatter_points: int = 2_000  # points per model in a predicted-against-actual plot
    report_classes: int = 10  # per-class curves beyond this many classes are left out of the HTML report


BUDGETS = {
    "standard": EvaluateBudget(),
    "classroom": EvaluateBudget(curve_points=200, scatter_points=1_000),
    "thorough": EvaluateBudget(curve_points=1_000, scatter_points=10_000, report_classes=20),
}
BUDGET = for_preset(BUDGETS)
