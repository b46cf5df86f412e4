-- How long an auction was listed for, before any extension: a falling-price relist runs as
-- long, rather than for its extended length (which would grow with every sniped relist).
-- NULL for auctions listed before this migration.
ALTER TABLE auctions ADD COLUMN listed_for_us INTEGER;
