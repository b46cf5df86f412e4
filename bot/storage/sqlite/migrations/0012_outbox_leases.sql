-- Several processes may deliver the outbox: each message is claimed by one of them for a
-- while (claimed_until, microseconds like every time column). A claim whose time has passed
-- belongs to nobody, so a message a dead process held is delivered by another.
ALTER TABLE outbox ADD COLUMN claimed_by TEXT;
ALTER TABLE outbox ADD COLUMN claimed_until INTEGER;
-- Work only one process at a time may do (keeping live posts current), held by name until
-- a time its holder keeps moving forward; once that time passed, another may take it.
CREATE TABLE leases (
    name   TEXT    PRIMARY KEY,
    holder TEXT    NOT NULL,
    until  INTEGER NOT NULL
);
