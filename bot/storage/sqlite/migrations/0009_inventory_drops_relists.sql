-- The handle house: each server's inventory of handles, scheduled drops, and the starts that
-- put inventory handles up for auction at a set time (a drop's slots and falling-price relists).

CREATE TABLE inventory (
    id             INTEGER PRIMARY KEY,
    guild_id       INTEGER NOT NULL,
    handle_key     TEXT    NOT NULL,
    handle_display TEXT    NOT NULL,
    starting_bid   INTEGER CHECK (starting_bid IS NULL OR starting_bid >= 1),
    reserve        INTEGER CHECK (reserve IS NULL OR reserve >= 1),
    buy_now        INTEGER CHECK (buy_now IS NULL OR buy_now >= 1),
    tags           TEXT    NOT NULL DEFAULT '',  -- lowercase, comma-separated
    note           TEXT    NOT NULL DEFAULT '',
    score          INTEGER NOT NULL CHECK (score BETWEEN 0 AND 100),
    status         TEXT    NOT NULL DEFAULT 'available'
                   CHECK (status IN ('available', 'scheduled', 'in_auction', 'sold', 'withdrawn')),
    added_by       INTEGER NOT NULL,
    added_at       INTEGER NOT NULL,
    auction_id     INTEGER REFERENCES auctions (id),  -- its current or latest auction
    relists        INTEGER NOT NULL DEFAULT 0,        -- relists since it was last listed by hand
    relist_base    INTEGER,                           -- the starting bid relists fall from
    withdrawn_by   INTEGER,
    withdrawn_at   INTEGER,
    withdraw_reason TEXT,
    updated_at     INTEGER NOT NULL
);
-- A handle is in a server's inventory once (in any state but withdrawn).
CREATE UNIQUE INDEX inventory_one_per_handle ON inventory (guild_id, handle_key)
    WHERE status != 'withdrawn';
CREATE INDEX inventory_by_status ON inventory (guild_id, status, score DESC, handle_key);

CREATE TABLE drops (
    id            INTEGER PRIMARY KEY,
    guild_id      INTEGER NOT NULL,
    created_by    INTEGER NOT NULL,
    created_at    INTEGER NOT NULL,
    first_start   INTEGER NOT NULL,
    interval_us   INTEGER NOT NULL CHECK (interval_us >= 0),
    duration_us   INTEGER NOT NULL CHECK (duration_us > 0),
    channel_id    INTEGER,
    announce_at   INTEGER NOT NULL,
    announcement_id INTEGER,  -- its outbox message
    cancelled_at  INTEGER,
    cancelled_by  INTEGER,
    cancel_reason TEXT
);
CREATE INDEX drops_by_guild ON drops (guild_id, id);

-- An inventory handle to be put up for auction at starts_at: a drop's slot, or a relist.
-- Started once: started_at is set in the transaction that opens the auction.
CREATE TABLE scheduled_starts (
    id              INTEGER PRIMARY KEY,
    guild_id        INTEGER NOT NULL,
    inventory_id    INTEGER NOT NULL REFERENCES inventory (id),
    drop_id         INTEGER REFERENCES drops (id),
    starts_at       INTEGER NOT NULL,
    duration_us     INTEGER NOT NULL CHECK (duration_us > 0),
    starting_bid    INTEGER CHECK (starting_bid IS NULL OR starting_bid >= 1),
    channel_id      INTEGER,
    opened_by       INTEGER NOT NULL,
    relist_number   INTEGER NOT NULL DEFAULT 0,
    relisted_from   INTEGER,
    started_at      INTEGER,
    auction_id      INTEGER REFERENCES auctions (id),
    cancelled_at    INTEGER,
    skip_reason     TEXT,
    CHECK (started_at IS NULL OR cancelled_at IS NULL)
);
CREATE INDEX scheduled_starts_pending ON scheduled_starts (starts_at)
    WHERE started_at IS NULL AND cancelled_at IS NULL;
CREATE INDEX scheduled_starts_by_drop ON scheduled_starts (drop_id, starts_at);
-- One pending start per inventory handle.
CREATE UNIQUE INDEX scheduled_starts_one_pending ON scheduled_starts (inventory_id)
    WHERE started_at IS NULL AND cancelled_at IS NULL;

-- A relisted auction says so in its post.
ALTER TABLE auctions ADD COLUMN relist_number INTEGER NOT NULL DEFAULT 0;
ALTER TABLE auctions ADD COLUMN relisted_from INTEGER;

-- The sold registry listed by member and by date.
CREATE INDEX sold_handles_by_winner ON sold_handles (guild_id, winner_id, sold_at)
    WHERE released_at IS NULL;
CREATE INDEX sold_handles_current ON sold_handles (guild_id, sold_at)
    WHERE released_at IS NULL;
