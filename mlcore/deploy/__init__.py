"""Deploy: a run leaves the workbench, and comes back: the input schema a model expects
(`input_schema`), predictions on new rows (`predict`), the REST API a served model answers on
(`rest_api`, which imports nothing of mlcore), the bundle and its model card (`bundle`, `card`), the
standalone scripts (`codegen`, from templates in `templates/` and the estimators and helpers
`source_writer` writes as code), and the safe import of a bundle: the skops allow-list and
structure checks (`checks`) run in a sandboxed worker process (`sandbox`).

Imports: every stage below (data, train, evaluate), never the UI.
"""
