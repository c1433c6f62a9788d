"""Discover: the structure of a table without a model to predict it, with or without a target.

`prepared` runs the dataset's feature columns through Prepare's per-column steps once, so every
analysis here sees the same matrix; `algorithms` describes the clustering and anomaly algorithms and
their settings as data; `clustering` fits one into a pipeline (preprocessing + estimator, the unit
that is exported); `choose_k` scores a range of cluster counts and recommends one; `projections` maps
the rows to two or three dimensions (PCA, t-SNE); `profiles` says what each cluster is in the
original column names; `silhouettes` measures how well each row sits in its cluster; `agreement`
compares clusters with the target's classes; `anomalies` finds the rows unlike the others and says
why; `dendrogram` draws the agglomerative tree of a sample; `plots` draws all of it; `budget` says how
many rows each uses under a preset. `export` puts a result to use (the labelled table, a bundle whose
script reproduces the labels), `session` runs each analysis as a background job for a page and keeps
its result, and `tracking` makes a clustering an MLflow run.

Imports: the foundation, `mlcore.train`, `mlcore.evaluate` (its figure layout), `mlcore.explain`,
`mlcore.deploy` (the bundle and its generated code) and `mlcore.track` (MLflow).
"""
