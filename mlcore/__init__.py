"""mlcore: the UI-free core of the ML workbench (data, profiling, training, evaluation, export)."""

import os

# Nothing reaches the network at run time: ydata-profiling would otherwise report usage on every
# report. Set here so the app, the CLI and every worker process inherit it.
os.environ.setdefault("YDATA_PROFILING_NO_ANALYTICS", "True")
# MLflow 3 reports usage to its makers unless told not to (it is off only under CI and pytest).
os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
os.environ.setdefault("DO_NOT_TRACK", "true")

__version__ = "0.1.0"
