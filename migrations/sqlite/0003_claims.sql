-- Timed actions are claimed with a lease before they are acted on, so that with several bot
-- processes each fires once; a process that dies mid-action lets its lease lapse and another
-- process takes the action over.
ALTER TABLE scheduled ADD COLUMN claimed_until REAL;

-- Redelivered messages (after a crash) are recognised by their id.
CREATE INDEX cases_message ON cases (community_id, message_id);
