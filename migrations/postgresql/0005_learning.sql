-- The learned stage: what a case or a review item needs so that a moderator's decision on it can
-- teach the community's model (hashed feature buckets and the log-odds the bot gave it; never
-- text), the decisions kept as examples, and each community's learned weights. Review items the
-- hourly budget did not post are kept with status 'over_budget' (and a shadow case).
ALTER TABLE review_queue ADD COLUMN features TEXT;
ALTER TABLE review_queue ADD COLUMN prior DOUBLE PRECISION;
ALTER TABLE cases ADD COLUMN features TEXT;
ALTER TABLE cases ADD COLUMN prior DOUBLE PRECISION;
CREATE INDEX review_recent ON review_queue (community_id, created_at);

CREATE TABLE learned_examples (
    id           BIGSERIAL PRIMARY KEY,
    community_id TEXT    NOT NULL,
    member_id    TEXT    NOT NULL,
    source       TEXT    NOT NULL,
    label        INTEGER NOT NULL,
    prior        DOUBLE PRECISION NOT NULL,
    bits         INTEGER NOT NULL,
    features     TEXT    NOT NULL,
    case_id      BIGINT REFERENCES cases (id),
    review_id    BIGINT REFERENCES review_queue (id),
    created_at   DOUBLE PRECISION NOT NULL
);
CREATE INDEX learned_by_community ON learned_examples (community_id, id);

CREATE TABLE learned_weights (
    community_id TEXT    PRIMARY KEY,
    bits         INTEGER NOT NULL,
    weights      TEXT    NOT NULL,
    examples     INTEGER NOT NULL,
    version      INTEGER NOT NULL,
    updated_at   DOUBLE PRECISION NOT NULL
);
