-- Several processes deliver the outbox: each message is claimed by one of them for a while
-- (claimed_until, microseconds like every time column); a claim whose time has passed
-- belongs to nobody, so a message a dead process held is delivered by another (SQLite's
-- migration 0012). Work one process at a time may do (keeping live posts current) is held
-- by name in `leases` until a time its holder keeps moving forward.
ALTER TABLE outbox ADD COLUMN claimed_by TEXT;
ALTER TABLE outbox ADD COLUMN claimed_until BIGINT;
CREATE TABLE leases (
    name   TEXT   PRIMARY KEY,
    holder TEXT   NOT NULL,
    until  BIGINT NOT NULL
);
