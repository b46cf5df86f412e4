-- Per-server settings, each auction's currency, and posts that can no longer be shown.

CREATE TABLE server_settings (
    guild_id   INTEGER NOT NULL,
    key        TEXT    NOT NULL,
    value      TEXT    NOT NULL,
    updated_by INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (guild_id, key)
);

-- NULL for auctions listed before this migration: the store fills them in at start-up with
-- the configured currency, the one they were listed in.
ALTER TABLE auctions ADD COLUMN currency_name TEXT;
ALTER TABLE auctions ADD COLUMN currency_max INTEGER CHECK (currency_max IS NULL OR currency_max >= 1);
ALTER TABLE auctions ADD COLUMN post_lost_at INTEGER;
