-- Each interaction takes effect once: the n-th write an interaction causes claims
-- (interaction id, n) in its own transaction; a second process given the same interaction
-- finds the key taken and changes nothing (SQLite's migration 0011).
CREATE TABLE interaction_writes (
    interaction_id BIGINT NOT NULL,
    seq            BIGINT NOT NULL,
    at             BIGINT NOT NULL,
    PRIMARY KEY (interaction_id, seq)
);
