-- Pending-message queries touch pending rows only, however much delivered history there is.
-- A message waits while its auction's opening post is pending: that check looks the opening
-- up by auction among pending openings, not by scanning every earlier row of the outbox.
CREATE INDEX outbox_pending_openings ON outbox (auction_id, id)
    WHERE kind = 'auction_opened' AND delivered_at IS NULL AND failed_at IS NULL;
