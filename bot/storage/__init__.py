"""Storage adapters behind the ports in ``bot/ports.py``: SQLite today (``sqlite/``), each
with its own migrations. Nothing above this package imports a database driver."""
