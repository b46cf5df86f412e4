-- Money modes (none, wallet, pledge): an auction keeps the mode its server had when it
-- started, so a server switching mode changes only the auctions started afterwards.
ALTER TABLE auctions ADD COLUMN money TEXT NOT NULL DEFAULT 'none';

-- Pledge mode's settlement of a sold auction: the winner must pay by a deadline; unpaid, the
-- handle is offered to the next bidders in turn. One row per sold pledge auction.
--   status: 'due' (someone must pay or answer an offer), 'paid', 'unsold' (nobody took it)
CREATE TABLE settlements (
    auction_id INTEGER PRIMARY KEY REFERENCES auctions (id),
    guild_id   INTEGER NOT NULL,
    status     TEXT    NOT NULL CHECK (status IN ('due', 'paid', 'unsold')),
    settled_at INTEGER
);
CREATE INDEX settlements_by_guild ON settlements (guild_id, status);

-- Each step of a settlement, in order: round 0 is the winner, rounds 1..n the second-chance
-- offers. A step is decided once (decided_at is set once, with its final state).
--   state: 'awaiting_payment' (the winner, or a bidder who accepted an offer), 'offered',
--          'paid', 'declined', 'expired' (an offer nobody answered), 'defaulted' (unpaid)
CREATE TABLE settlement_steps (
    id         INTEGER PRIMARY KEY,
    auction_id INTEGER NOT NULL REFERENCES settlements (auction_id),
    guild_id   INTEGER NOT NULL,
    round      INTEGER NOT NULL,
    member_id  INTEGER NOT NULL,
    price      INTEGER NOT NULL CHECK (price > 0),
    offered_at INTEGER NOT NULL,
    due_at     INTEGER NOT NULL,
    state      TEXT    NOT NULL CHECK (state IN (
        'awaiting_payment', 'offered', 'paid', 'declined', 'expired', 'defaulted'
    )),
    decided_at INTEGER,
    decided_by INTEGER,
    UNIQUE (auction_id, round)
);
-- The deadlines still open, in order: what the settlement sweep and timers read.
CREATE INDEX settlement_steps_open ON settlement_steps (due_at)
    WHERE state IN ('awaiting_payment', 'offered');
CREATE INDEX settlement_steps_by_guild ON settlement_steps (guild_id, decided_at);

-- A member's unpaid wins on a server, and since when they are barred from bidding there.
CREATE TABLE member_standing (
    guild_id  INTEGER NOT NULL,
    member_id INTEGER NOT NULL,
    defaults  INTEGER NOT NULL DEFAULT 0 CHECK (defaults >= 0),
    barred_at INTEGER,
    PRIMARY KEY (guild_id, member_id)
);
