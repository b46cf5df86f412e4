-- One row per write an interaction caused, inserted in that write's transaction: a second
-- bot process that received the same interaction (two sessions on one shard) cannot insert
-- the same key, so its copy of the write changes nothing. Pruned after a day (an
-- interaction's token lives 15 minutes); `at` is the interaction's creation time in
-- microseconds. No index on it: interaction ids grow with time, so pruning walks the key.
CREATE TABLE interaction_writes (
    interaction_id INTEGER NOT NULL,
    seq INTEGER NOT NULL,
    at INTEGER NOT NULL,
    PRIMARY KEY (interaction_id, seq)
);
