"""Data: turning a user's file, a sample or a generator into a `Dataset`.

Owns recognising formats from bytes (`sniff`), bounded readers (`readers`, `archives`), value
clean-up (`tidy`), column names (`columns`), loading with limits (`loading`), the shipped samples
(`samples`) and the generated tables (`generators`).

Imports: only the foundation (`mlcore.errors`, `settings`, `schema`, `dataset`, `formatting`).
"""
