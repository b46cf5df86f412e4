-- Wallet mode: a double-entry ledger of credits per server.
--
-- Accounts: each member's wallet (what they have available), each member's hold on one
-- auction (escrow, while they lead it), the house's revenue, and the source that granted
-- credits come from. House accounts have member_id 0; only holds have an auction_id (0 else),
-- so (guild, kind, member, auction) names one account.
--
-- Every movement is one entry that moves its amount out of the debit account and into the
-- credit account. A balance is what an account received less what it gave, except the
-- source's, which counts the other way (issued less revoked): so every balance is >= 0 and
-- the source's balance equals the sum of all the others.
--   grant:   source -> wallet      revoke:  wallet -> source
--   hold:    wallet -> hold        release: hold -> wallet      capture: hold -> revenue
CREATE TABLE ledger_accounts (
    id         INTEGER PRIMARY KEY,
    guild_id   INTEGER NOT NULL,
    kind       TEXT    NOT NULL CHECK (kind IN ('wallet', 'hold', 'revenue', 'source')),
    member_id  INTEGER NOT NULL DEFAULT 0,
    auction_id INTEGER NOT NULL DEFAULT 0,
    -- The cached balance, kept by each entry's insert; ledger.replay_check recomputes it.
    -- The house's revenue, which every close adds to, is not cached (it stays 0): it is the
    -- sum of its entries, so concurrent closes never wait on one row.
    balance    INTEGER NOT NULL DEFAULT 0 CHECK (balance >= 0),
    UNIQUE (guild_id, kind, member_id, auction_id)
);
-- A member's holds that still hold something (the wallet view, a refused bid's message).
CREATE INDEX ledger_accounts_holding ON ledger_accounts (guild_id, member_id)
    WHERE kind = 'hold' AND balance > 0;
-- An auction's holds (released or captured at its end).
CREATE INDEX ledger_accounts_by_auction ON ledger_accounts (auction_id) WHERE kind = 'hold';

CREATE TABLE ledger_entries (
    id             INTEGER PRIMARY KEY,
    guild_id       INTEGER NOT NULL,
    movement       TEXT    NOT NULL
        CHECK (movement IN ('grant', 'revoke', 'hold', 'release', 'capture')),
    debit_account  INTEGER NOT NULL REFERENCES ledger_accounts (id),
    credit_account INTEGER NOT NULL REFERENCES ledger_accounts (id),
    amount         INTEGER NOT NULL CHECK (amount > 0),
    member_id      INTEGER NOT NULL,  -- whose credits moved
    auction_id     INTEGER,           -- the auction it was for, if any
    actor_id       INTEGER,           -- the moderator, for grants and revokes
    reason         TEXT    NOT NULL CHECK (reason <> ''),
    at             INTEGER NOT NULL,
    CHECK (debit_account <> credit_account)
);
CREATE INDEX ledger_entries_by_member ON ledger_entries (guild_id, member_id, id);
CREATE INDEX ledger_entries_by_guild ON ledger_entries (guild_id, id);
-- An account's entries on either side (the replay check, the revenue's sum).
CREATE INDEX ledger_entries_by_debit ON ledger_entries (debit_account);
CREATE INDEX ledger_entries_by_credit ON ledger_entries (credit_account);

-- Entries are append-only: a correction is a new entry, never an edit.
CREATE TRIGGER ledger_entries_never_deleted BEFORE DELETE ON ledger_entries
BEGIN
    SELECT RAISE(ABORT, 'ledger entries are append-only');
END;
CREATE TRIGGER ledger_entries_never_rewritten BEFORE UPDATE ON ledger_entries
BEGIN
    SELECT RAISE(ABORT, 'ledger entries are append-only');
END;
-- An account, once it exists, stays (its entries name it); only its balance changes.
CREATE TRIGGER ledger_accounts_never_deleted BEFORE DELETE ON ledger_accounts
BEGIN
    SELECT RAISE(ABORT, 'ledger accounts are never deleted');
END;
CREATE TRIGGER ledger_accounts_never_renamed
BEFORE UPDATE OF id, guild_id, kind, member_id, auction_id ON ledger_accounts
BEGIN
    SELECT RAISE(ABORT, 'ledger accounts are never renamed');
END;
