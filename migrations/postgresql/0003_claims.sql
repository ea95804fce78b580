-- PostgreSQL twin of migrations/sqlite/0003_claims.sql.
ALTER TABLE scheduled ADD COLUMN claimed_until DOUBLE PRECISION;
