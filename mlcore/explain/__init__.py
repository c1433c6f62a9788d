"""Explain: why a run predicts what it does: SHAP values in the original column names, permutation
importance and the most confident mistakes (`explainer`), and their figures (`plots`).

Imports: the foundation, `mlcore.data` and `mlcore.train`.
"""
