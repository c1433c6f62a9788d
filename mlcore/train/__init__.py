"""Train: from a dataset and specs to fitted, cross-validated runs.

Owns what a run is (`runs`, plain data), the preprocessing choices (`prep_spec`), the pipeline builder
(`prep`) and its plain-words description (`pipeline_description`), our own transformers
(`transformers`, which import nothing of mlcore so a bundle can carry them), the model registry
(`models`, built from `hyperparams`, `model_spec` and `estimator_recipe`, with the cost model in
`model_cost`), the split (`split`), fitting and scoring one run (`fit`), the leaderboard
(`leaderboard`), the facts a run's pipeline keeps (`run_data`), the background training session
(`session`), tuning (`tuning`), and the sample caps under each preset (`budget`).

Imports: the foundation and `mlcore.data` only (never evaluate, explain or deploy).
"""
