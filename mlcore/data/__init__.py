"""Data: turning a user's file, a database table, a sample or a generator into a `Dataset`.

Owns recognising formats from bytes (`sniff`), bounded readers (`readers`, `archives`), value
clean-up (`tidy`), column names (`columns`), loading with limits (`loading`), the shipped samples
(`samples`), the generated tables (`generators`), read-only database sources (`databases`,
`database_backends`, `sql_text`, `database_loading`) and tables larger than memory, summarised on
every row by DuckDB and sampled (`large_tables`, `large_loading`).

Imports: only the foundation (`mlcore.errors`, `settings`, `schema`, `dataset`, `origin`, `formatting`).
"""
