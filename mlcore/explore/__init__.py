"""Explore: what a table holds, before any model: the overview, data-quality alerts, the target view
(each feature against the target), the EDA charts (`plots`), the full ydata-profiling report, and the
samples each view reads under a preset (`budget`).

Imports: the foundation and `mlcore.data` only.
"""
