"""Monitor: is a served model still seeing the data it was trained on, and still as good?

`drift` compares a batch of new rows with the training rows feature by feature, with verdicts whose
false-alarm rate holds at every sample size and across many features at once; `decay` compares the
model's score on newly labelled rows with its holdout score; `plots` draws both.

Imports: the foundation only (errors, formatting, markup, metrics), never the UI.
"""
