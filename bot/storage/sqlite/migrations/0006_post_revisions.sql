-- Which posts are behind: every change a post shows bumps the auction's revision; the post
-- editor records the revision it last rendered. At start-up only posts that are behind are
-- edited, not every open auction's.
ALTER TABLE auctions ADD COLUMN revision INTEGER NOT NULL DEFAULT 0;
ALTER TABLE auctions ADD COLUMN post_revision INTEGER NOT NULL DEFAULT 0;
-- Before this, an edit waiting when the bot stopped was made good by editing every open post
-- at the next start: do that once more.
UPDATE auctions SET revision = 1 WHERE status = 'open';
