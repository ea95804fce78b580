-- PostgreSQL twin of migrations/sqlite/0002_privacy.sql.
ALTER TABLE cases ADD COLUMN excerpt_purged_at DOUBLE PRECISION;

CREATE TABLE forgotten (
    community_id TEXT NOT NULL,
    pseudonym    TEXT NOT NULL,
    at           DOUBLE PRECISION NOT NULL,
    PRIMARY KEY (community_id, pseudonym)
);
