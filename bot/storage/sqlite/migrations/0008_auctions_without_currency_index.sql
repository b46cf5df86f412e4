-- Every start gives auctions listed before 0004 the configured currency. Without an index
-- that UPDATE reads every auction ever listed (56 ms at 150,000); this index holds only the
-- auctions still without a currency, so after the first start it is empty and costs nothing,
-- to the UPDATE or to a new auction (which always has its currency).
CREATE INDEX auctions_without_currency ON auctions (id) WHERE currency_name IS NULL;
