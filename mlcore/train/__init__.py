"""Train: from a dataset and specs to fitted, cross-validated runs.

Owns the preprocessing specs and pipeline builder (`prep`), the model registry (`models`), the split
(`split`), fitting and scoring one run (`fit`), the facts a run's pipeline keeps (`run_data`), the
background training session (`session`) and tuning (`tuning`).

Imports: the foundation and `mlcore.data` only (never evaluate, explain or deploy).
"""
