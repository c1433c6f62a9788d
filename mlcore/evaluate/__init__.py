"""Evaluate: how good finished runs are, told for people: holdout metrics and curves (`holdout`),
refit analyses such as out-of-fold predictions and learning curves (`refit`), comparisons of runs
(`compare`), figures (`plots`), the HTML report (`report`), the learners' glossary (`glossary`) and the
two-class decision rule a chosen threshold makes (`decision_rule`); `budget` holds how many points
the figures keep under each preset.

Imports: the foundation, `mlcore.data` and `mlcore.train`.
"""
