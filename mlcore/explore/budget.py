"""How much of a large table Explore reads for each view: samples that keep a chart quick to draw
and its statistics precise, per preset (`mlcore.settings`)."""

from __future__ import annotations

from dataclasses import dataclass

from mlcore.settings import for_preset


@dataclass(frozen=True)
class ExploreBudget:
    scatter_points: int = 5_000  # points drawn in a scatter plot
    matrix_points: int = 2_000  # points per panel of a scatter matrix
    correlation_rows: int = 100_000  # rows a correlation or association matrix is computed on
    target_rows: int = 200_000  # a uniform sample this large pins mutual information down to a few 1e-4
    quantile_sample: int = 50_000  # rows the target view's bin edges are taken from (they need not be exact)
    type_sample: int = 10_000  # distinct values inspected for the kinds of Python values a text column holds


BUDGETS = {
    "standard": ExploreBudget(),
    "classroom": ExploreBudget(
        scatter_points=2_000, matrix_points=1_000, correlation_rows=50_000, target_rows=50_000
    ),
    "thorough": ExploreBudget(
        scatter_points=20_000, matrix_points=5_000, correlation_rows=1_000_000, target_rows=1_000_000
    ),
}
BUDGET = for_preset(BUDGETS)
