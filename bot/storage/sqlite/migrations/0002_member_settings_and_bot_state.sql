-- Per-member preferences, and small facts the bot remembers between runs.

CREATE TABLE member_settings (
    guild_id    INTEGER NOT NULL,
    user_id     INTEGER NOT NULL,
    outbid_dms  INTEGER NOT NULL DEFAULT 1 CHECK (outbid_dms IN (0, 1)),
    PRIMARY KEY (guild_id, user_id)
);

-- e.g. the fingerprint of the command set last synced to each scope
CREATE TABLE bot_state (
    key        TEXT PRIMARY KEY,
    value      TEXT NOT NULL,
    updated_at INTEGER NOT NULL
);
