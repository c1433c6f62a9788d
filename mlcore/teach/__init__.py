"""Teach: classroom demonstrations of what a model learns, drawn from fitted pipelines.

`boundaries` evaluates a fitted classifier on a grid over two number features (the others held at
their median or most frequent value) so its decision regions and confidence can be drawn, and a
regressor along one feature; `overfitting` describes the complexity knobs a student turns (tree
depth, k, polynomial degree, C, forest depth), fits one setting on a fixed stratified split and
sweeps them all to say where validation accuracy peaks and where overfitting starts; `plots` draws
both as plotly figures; `steps` runs k-means, a decision tree's growth and gradient descent as frames
with one sentence per step (item 4 of issue 17), and `step_plots` draws any one frame; `errors` holds
the stage's typed error.

Imports: the foundation and `mlcore.evaluate` (its figure layout). It may also import `mlcore.data` and
`mlcore.train`, but needs neither: datasets and the workbench's fitted pipelines arrive as arguments.
"""
