"""The keys of interactions' writes (``InteractionLog``)."""

from __future__ import annotations

from datetime import datetime

from bot.storage.sql.codec import to_us
from bot.storage.sql.connection import Connection, Dialect


class SqlInteractionLog:
    def __init__(self, conn: Connection, dialect: Dialect) -> None:
        self._conn = conn

    def claim(self, interaction_id: int, seq: int, at: datetime) -> bool:
        # ON CONFLICT DO NOTHING (not a caught IntegrityError): the statement, not an
        # exception, says the key was taken, and PostgreSQL reads it the same way.
        inserted = self._conn.execute(
            "INSERT INTO interaction_writes (interaction_id, seq, at) VALUES (?, ?, ?)"
            " ON CONFLICT (interaction_id, seq) DO NOTHING",
            (interaction_id, seq, to_us(at)),
        ).rowcount
        return inserted == 1

    def prune(self, before: datetime, *, chunk: int) -> int:
        # Among the lowest ids only, so each call is bounded however many keys are kept:
        # ids follow creation, so once the lowest ids are young enough, so is the rest.
        return self._conn.execute(
            "DELETE FROM interaction_writes WHERE interaction_id IN ("
            " SELECT interaction_id FROM interaction_writes ORDER BY interaction_id LIMIT ?"
            ") AND at < ?",
            (chunk, to_us(before)),
        ).rowcount
