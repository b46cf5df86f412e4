"""The repositories, written once in SQL that SQLite and PostgreSQL both run.

Each store's adapter (``bot/storage/sqlite/``, ``bot/storage/postgres/``) hands them its
connection and a ``Dialect``: the few things the two databases do differently (a hint to
SQLite's planner, how a new row's id is read back, how revisions are numbered, and whether
a row read for a write is locked). No database driver is imported here.
"""
