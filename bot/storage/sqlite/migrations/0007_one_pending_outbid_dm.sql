-- A member outbid again while their outbid DM is still waiting gets that one DM, not one per
-- bid: the DM is written when it is sent, from the auction as it is then. Earlier duplicates
-- are merged into the oldest pending one first.
UPDATE outbox SET failed_at = CAST((julianday('now') - 2440587.5) * 86400000000 AS INTEGER),
                  last_error = 'merged into an earlier pending outbid DM'
WHERE kind = 'outbid' AND delivered_at IS NULL AND failed_at IS NULL
  AND id NOT IN (
      SELECT MIN(id) FROM outbox
      WHERE kind = 'outbid' AND delivered_at IS NULL AND failed_at IS NULL
      GROUP BY auction_id, json_extract(payload, '$.user_id')
  );
CREATE UNIQUE INDEX outbox_one_pending_outbid
    ON outbox (auction_id, json_extract(payload, '$.user_id'))
    WHERE kind = 'outbid' AND delivered_at IS NULL AND failed_at IS NULL;
