"""Explain: why a run predicts what it does, in the names of the user's own columns.

`features` maps the model's input columns back to the original ones; `shap_values` computes SHAP
values with the explainer the model calls for; `permutation` is the model-agnostic cross-check;
`mistakes` finds the most confident wrong predictions; `explainer` puts SHAP and permutation together
for a run; `plots` draws them; `budget` says how many rows each uses under a preset.

Imports: the foundation, `mlcore.data` and `mlcore.train`.
"""
