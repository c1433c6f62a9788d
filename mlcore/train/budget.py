"""How many rows the slow learners are trained on before a sample keeps them in proportion, per
preset (`mlcore.settings`): their cost grows faster than the rows (an RBF SVM about rows², fully
grown trees about rows^1.3, k-NN's prediction rows × rows)."""

from __future__ import annotations

from dataclasses import dataclass

from mlcore.settings import for_preset


@dataclass(frozen=True)
class TrainBudget:
    svm_cap: int = 5_000
    knn_cap: int = 10_000
    tree_cap: int = 50_000
    slow_impute_rows: int = 20_000  # k-NN / iterative imputation above this many rows is warned about


BUDGETS = {
    "standard": TrainBudget(),
    "classroom": TrainBudget(svm_cap=2_000, knn_cap=5_000, tree_cap=20_000, slow_impute_rows=10_000),
    "thorough": TrainBudget(svm_cap=20_000, knn_cap=50_000, tree_cap=200_000, slow_impute_rows=50_000),
}
BUDGET = for_preset(BUDGETS)
