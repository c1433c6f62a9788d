"""Explore: what a table holds, before any model: the overview, data-quality alerts, the target view
(each feature against the target), the EDA charts (`plots`) and the full ydata-profiling report.

Imports: the foundation and `mlcore.data` only.
"""
