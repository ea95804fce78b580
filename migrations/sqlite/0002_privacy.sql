-- Privacy (Decree 13/2023/ND-CP): when case excerpts were purged, and members forgotten.
ALTER TABLE cases ADD COLUMN excerpt_purged_at REAL;

CREATE TABLE forgotten (
    community_id TEXT NOT NULL,
    pseudonym    TEXT NOT NULL,
    at           REAL NOT NULL,
    PRIMARY KEY (community_id, pseudonym)
);
