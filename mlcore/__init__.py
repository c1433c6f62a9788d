"""mlcore: the UI-free core of the ML workbench (data, profiling, training, evaluation, export)."""

__version__ = "0.1.0"
