"""The portfolio interchange format, version 1 (`shared/docs/portfolio-format.md`): read, validate, write, export.

- `spec`: the files and columns of the format, as data.
- `read`: containers (directory, .zip, .xlsx) and encodings (UTF-8, BOM, GB18030) into lazy string frames.
- `validate`: pure, set-based checks turning string frames into typed frames plus an error report.
- `store`: bulk reads and upserts against the database (COPY on PostgreSQL, executemany on SQLite).
- `export`: the database back into the same format.
"""
