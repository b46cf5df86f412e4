"""SQLite storage through aiosqlite: the connection, migrations and repositories."""
