"""A two-class model's decision rule: the threshold above which a row is called positive.

A model's own `predict` calls a row positive when its probability is above 0.5 (a decision value above
0). A threshold chosen on the Evaluate page changes that rule; it travels with the model to the Predict
page, the bundle's `predict.py` and its card, so every prediction made with the model says which rule
made it. The fitted pipeline itself is left as it is (its `predict` keeps the default rule, and the card
says so for code that calls it directly).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from mlcore.errors import MLCoreError
from mlcore.metrics import DEFAULT_THRESHOLDS, ScoreKind


class DecisionRuleError(MLCoreError):
    """A threshold that cannot be a decision rule for this model."""


@dataclass(frozen=True)
class DecisionRule:
    """Predict `positive` when the score of `positive` is strictly above `threshold`, else `negative`.

    "Strictly above" is the model's own rule at the default threshold: ties go to the negative class,
    as `argmax` does, so the default threshold reproduces `predict` exactly. Predictions apply it in
    `mlcore.deploy.row_rules.decide` (which the bundle's serve.py carries).
    """

    threshold: float
    positive: Any
    negative: Any
    score: ScoreKind = "probability"

    def __post_init__(self) -> None:
        if self.score not in DEFAULT_THRESHOLDS:
            raise DecisionRuleError(f"Unknown score kind '{self.score}'.", "Use probability or decision.")
        if self.score == "probability" and not 0.0 <= self.threshold <= 1.0:
            raise DecisionRuleError(
                f"A probability threshold must lie between 0 and 1; got {self.threshold:g}.",
                "Choose the threshold again on the Evaluate page.",
            )

    @property
    def default(self) -> float:
        return DEFAULT_THRESHOLDS[self.score]

    @property
    def is_default(self) -> bool:
        return self.threshold == self.default

    def sentence(self) -> str:
        """The rule in words, for pages, the model card and predict.py."""
        what = "probability" if self.score == "probability" else "decision value"
        return (
            f"Predicts '{self.positive}' when its {what} is above {self.threshold:.3f}, else "
            f"'{self.negative}' (the model's own rule uses {self.default:g})."
        )

    def to_dict(self) -> dict[str, Any]:
        return _plain(asdict(self))

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> DecisionRule:
        try:
            return cls(
                float(data["threshold"]), data["positive"], data["negative"], data.get("score", "probability")
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise DecisionRuleError(
                "The bundle's decision rule is not readable.", "Export the model again from the workbench."
            ) from exc


def rule_for(
    classes: tuple[Any, ...] | None, has_probabilities: bool, threshold: float | None
) -> DecisionRule | None:
    """The rule for a threshold chosen on the Evaluate page, or None when the model keeps its own
    (no threshold chosen, the default one, or not a two-class model)."""
    if threshold is None or classes is None or len(classes) != 2:
        return None
    rule = DecisionRule(
        float(threshold), classes[1], classes[0], "probability" if has_probabilities else "decision"
    )
    return None if rule.is_default else rule


def _plain(data: dict[str, Any]) -> dict[str, Any]:
    return {k: v.item() if isinstance(v, np.generic) else v for k, v in data.items()}
