-- Auctions, bids, the sold-handles registry, the moderators' audit log and the outbox.
-- Times are integer microseconds since the Unix epoch, UTC. Amounts are integers.

CREATE TABLE auctions (
    id                     INTEGER PRIMARY KEY,
    guild_id               INTEGER NOT NULL,
    handle_key             TEXT    NOT NULL,
    handle_display         TEXT    NOT NULL,
    platform               TEXT    NOT NULL,
    status                 TEXT    NOT NULL DEFAULT 'open'
                           CHECK (status IN ('open', 'closed', 'cancelled')),
    outcome                TEXT    CHECK (outcome IN ('sold', 'no_bids', 'reserve_not_met', 'cancelled')),
    starting_bid           INTEGER NOT NULL CHECK (starting_bid >= 1),
    increment_absolute     INTEGER NOT NULL CHECK (increment_absolute >= 1),
    increment_percent      INTEGER NOT NULL CHECK (increment_percent >= 0),
    reserve                INTEGER CHECK (reserve IS NULL OR reserve >= 1),
    buy_now                INTEGER CHECK (buy_now IS NULL OR buy_now >= 1),
    anti_snipe_window_us   INTEGER NOT NULL CHECK (anti_snipe_window_us >= 0),
    anti_snipe_extension_us INTEGER NOT NULL CHECK (anti_snipe_extension_us >= 0),
    max_extensions         INTEGER NOT NULL CHECK (max_extensions >= 0),
    price                  INTEGER,
    leader_id              INTEGER,
    leader_max             INTEGER,
    bid_count              INTEGER NOT NULL DEFAULT 0,
    opened_by              INTEGER NOT NULL,
    opened_at              INTEGER NOT NULL,
    ends_at                INTEGER NOT NULL,
    extensions             INTEGER NOT NULL DEFAULT 0,
    closed_at              INTEGER,
    channel_id             INTEGER,
    message_id             INTEGER,
    CHECK (price IS NULL OR price <= leader_max)
);

-- One open auction per handle per guild, enforced by the database itself.
CREATE UNIQUE INDEX auctions_one_open_per_handle ON auctions (guild_id, handle_key)
    WHERE status = 'open';
CREATE INDEX auctions_by_handle ON auctions (guild_id, handle_key, id);
CREATE INDEX auctions_open_by_end ON auctions (status, ends_at);

CREATE TABLE bids (
    id          INTEGER PRIMARY KEY,
    auction_id  INTEGER NOT NULL REFERENCES auctions (id),
    bidder_id   INTEGER NOT NULL,
    amount      INTEGER NOT NULL CHECK (amount >= 1),
    max_amount  INTEGER NOT NULL CHECK (max_amount >= amount),
    placed_at   INTEGER NOT NULL,
    price_after INTEGER NOT NULL,
    leader_after INTEGER NOT NULL,
    voided_at   INTEGER,
    voided_by   INTEGER,
    void_reason TEXT
);
CREATE INDEX bids_by_auction ON bids (auction_id, id);

-- Bids are append-only: a voided bid is marked, never deleted or rewritten.
CREATE TRIGGER bids_never_deleted BEFORE DELETE ON bids
BEGIN
    SELECT RAISE(ABORT, 'bids are append-only');
END;
CREATE TRIGGER bids_never_rewritten
BEFORE UPDATE OF auction_id, bidder_id, amount, max_amount, placed_at, price_after, leader_after ON bids
BEGIN
    SELECT RAISE(ABORT, 'bids are append-only');
END;

CREATE TABLE sold_handles (
    id             INTEGER PRIMARY KEY,
    guild_id       INTEGER NOT NULL,
    handle_key     TEXT    NOT NULL,
    handle_display TEXT    NOT NULL,
    auction_id     INTEGER NOT NULL REFERENCES auctions (id),
    winner_id      INTEGER NOT NULL,
    price          INTEGER NOT NULL,
    sold_at        INTEGER NOT NULL,
    released_at    INTEGER,
    released_by    INTEGER,
    release_reason TEXT
);
CREATE UNIQUE INDEX sold_handles_one_owner ON sold_handles (guild_id, handle_key)
    WHERE released_at IS NULL;

CREATE TABLE audit_log (
    id         INTEGER PRIMARY KEY,
    guild_id   INTEGER NOT NULL,
    auction_id INTEGER REFERENCES auctions (id),
    actor_id   INTEGER NOT NULL,
    action     TEXT    NOT NULL,
    detail     TEXT    NOT NULL DEFAULT '',
    reason     TEXT,
    at         INTEGER NOT NULL
);
CREATE INDEX audit_log_by_guild ON audit_log (guild_id, id);

CREATE TABLE outbox (
    id              INTEGER PRIMARY KEY,
    guild_id        INTEGER NOT NULL,
    auction_id      INTEGER REFERENCES auctions (id),
    kind            TEXT    NOT NULL,
    payload         TEXT    NOT NULL,
    created_at      INTEGER NOT NULL,
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER NOT NULL,
    last_error      TEXT,
    delivered_at    INTEGER,
    failed_at       INTEGER
);
CREATE INDEX outbox_pending ON outbox (next_attempt_at, id)
    WHERE delivered_at IS NULL AND failed_at IS NULL;
