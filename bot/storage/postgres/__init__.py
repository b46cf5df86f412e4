"""The PostgreSQL adapter: a pool of psycopg connections, its own migrations, and the shared
repositories of ``bot/storage/sql/`` with row locks for several processes."""
