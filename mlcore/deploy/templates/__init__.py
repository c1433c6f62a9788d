"""The fixed parts of the generated `train.py` and `predict.py`, kept as real Python files so that the
linter and formatter check them like the rest of the code.

Each template imports what the generated script defines around it from `_script` (a module that does
not exist): `mlcore.deploy.codegen` drops those imports, keeps the template's other imports for the
script's import block, and writes the template's code after the constants it generated.
"""
