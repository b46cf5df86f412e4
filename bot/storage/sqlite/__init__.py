"""The embedded SQLite store (aiosqlite): no server to install."""
