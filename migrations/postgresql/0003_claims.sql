-- PostgreSQL twin of migrations/sqlite/0003_claims.sql.
ALTER TABLE scheduled ADD COLUMN claimed_until DOUBLE PRECISION;

CREATE INDEX cases_message ON cases (community_id, message_id);
