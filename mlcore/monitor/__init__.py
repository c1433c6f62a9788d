"""Monitor: is a model in use still seeing the data it was trained on, and still as good?

`subject` finds the watched model and what it learned from (a registered version or a run, with its
project's rows and permutation importance); `batches` reads new rows (an upload or the API's logged
requests) as the Predict page reads them; `drift` compares a batch with the training rows feature by
feature, with verdicts whose false-alarm rate holds at every sample size and across many features at
once; `decay` compares the model's score on newly labelled rows with its holdout score; `check` puts
them together and `timeline` keeps every check in the project; `retrain` trains the model's recipe on
the new rows, compares, registers and promotes; `plots`, `report` and `glossary` show and explain it.

Imports: every stage below (data, train, evaluate, explain, deploy, track, serve), never the UI.
"""
