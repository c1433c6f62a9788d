"""Imported once by the worker fork server, so that each background job starts in milliseconds."""

import importlib

HEAVY_MODULES = (
    "numpy",
    "pandas",
    "scipy.stats",
    "sklearn.ensemble",
    "sklearn.linear_model",
    "sklearn.model_selection",
    "sklearn.pipeline",
    "sklearn.preprocessing",
    "mlcore.dataset",
    "skops.io",  # imported models load in their own worker (mlcore.deploy.sandbox)
    "mlcore.deploy.sandbox",
)

for _name in HEAVY_MODULES:
    importlib.import_module(_name)
