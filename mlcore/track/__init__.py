"""Track: what outlives a browser session. The workbench home folder (`home`), safe writes
(`files`), projects on disk (`project_files`, `projects`) and as one file to hand on (`archive`),
every run tracked in MLflow with its model and the model registry (`tracking`), and the background
writer that records runs without holding up a page (`recorder`).

Imports: every stage below (data, train, evaluate, deploy), never the UI.
"""
