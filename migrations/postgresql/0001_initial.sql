-- PostgreSQL twin of migrations/sqlite/0001_initial.sql (a test keeps the two schemas in step).
-- Times are Unix seconds (DOUBLE PRECISION). Message text is never stored: only a bounded excerpt.

CREATE TABLE community_counters (
    community_id TEXT PRIMARY KEY,
    next_case    INTEGER NOT NULL
);

CREATE TABLE cases (
    id           BIGSERIAL PRIMARY KEY,
    community_id TEXT    NOT NULL,
    number       INTEGER NOT NULL,
    platform     TEXT    NOT NULL,
    member_id    TEXT    NOT NULL,
    channel_id   TEXT    NOT NULL DEFAULT '',
    message_id   TEXT    NOT NULL DEFAULT '',
    rule_ids     TEXT    NOT NULL DEFAULT '[]',
    clauses      TEXT    NOT NULL DEFAULT '[]',
    span_start   INTEGER,
    span_end     INTEGER,
    excerpt      TEXT    NOT NULL DEFAULT '',
    confidence   DOUBLE PRECISION,
    action       TEXT    NOT NULL,
    until        DOUBLE PRECISION,
    actor        TEXT    NOT NULL,
    reason       TEXT    NOT NULL DEFAULT '',
    status       TEXT    NOT NULL,
    points       DOUBLE PRECISION NOT NULL DEFAULT 0,
    language     TEXT    NOT NULL DEFAULT 'vi',
    created_at   DOUBLE PRECISION NOT NULL,
    updated_at   DOUBLE PRECISION NOT NULL,
    UNIQUE (community_id, number)
);
CREATE INDEX cases_member ON cases (community_id, member_id);

CREATE TABLE case_actions (
    id         BIGSERIAL PRIMARY KEY,
    case_id    BIGINT  NOT NULL REFERENCES cases (id),
    kind       TEXT    NOT NULL,
    state      TEXT    NOT NULL,
    reason     TEXT    NOT NULL DEFAULT '',
    updated_at DOUBLE PRECISION NOT NULL
);
CREATE INDEX case_actions_case ON case_actions (case_id);

CREATE TABLE points (
    id           BIGSERIAL PRIMARY KEY,
    community_id TEXT    NOT NULL,
    member_id    TEXT    NOT NULL,
    case_id      BIGINT  NOT NULL REFERENCES cases (id),
    points       DOUBLE PRECISION NOT NULL,
    at           DOUBLE PRECISION NOT NULL,
    refunded     INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX points_member ON points (community_id, member_id);

CREATE TABLE appeals (
    id          BIGSERIAL PRIMARY KEY,
    case_id     BIGINT  NOT NULL REFERENCES cases (id),
    member_id   TEXT    NOT NULL,
    text        TEXT    NOT NULL,
    status      TEXT    NOT NULL,
    decided_by  TEXT,
    decision    TEXT    NOT NULL DEFAULT '',
    created_at  DOUBLE PRECISION NOT NULL,
    decided_at  DOUBLE PRECISION
);
CREATE INDEX appeals_case ON appeals (case_id);

CREATE TABLE review_queue (
    id           BIGSERIAL PRIMARY KEY,
    community_id TEXT    NOT NULL,
    platform     TEXT    NOT NULL,
    member_id    TEXT    NOT NULL,
    channel_id   TEXT    NOT NULL DEFAULT '',
    message_id   TEXT    NOT NULL DEFAULT '',
    rule_ids     TEXT    NOT NULL,
    clauses      TEXT    NOT NULL,
    excerpt      TEXT    NOT NULL,
    confidence   DOUBLE PRECISION NOT NULL,
    severity     INTEGER NOT NULL,
    why          TEXT    NOT NULL,
    language     TEXT    NOT NULL DEFAULT 'vi',
    status       TEXT    NOT NULL,
    decided_by   TEXT,
    case_id      BIGINT REFERENCES cases (id),
    created_at   DOUBLE PRECISION NOT NULL,
    decided_at   DOUBLE PRECISION
);
CREATE INDEX review_open ON review_queue (community_id, status);

CREATE TABLE scheduled (
    id           BIGSERIAL PRIMARY KEY,
    community_id TEXT    NOT NULL,
    kind         TEXT    NOT NULL,
    case_id      BIGINT  NOT NULL REFERENCES cases (id),
    due_at       DOUBLE PRECISION NOT NULL,
    state        TEXT    NOT NULL,
    done_at      DOUBLE PRECISION
);
CREATE INDEX scheduled_due ON scheduled (state, due_at);

CREATE TABLE community_settings (
    community_id TEXT PRIMARY KEY,
    settings     TEXT NOT NULL,
    updated_at   DOUBLE PRECISION NOT NULL
);

CREATE TABLE moderators (
    community_id TEXT NOT NULL,
    user_id      TEXT NOT NULL,
    seen_at      DOUBLE PRECISION NOT NULL,
    PRIMARY KEY (community_id, user_id)
);

CREATE TABLE audit (
    id           BIGSERIAL PRIMARY KEY,
    community_id TEXT    NOT NULL,
    case_id      BIGINT,
    actor        TEXT    NOT NULL,
    action       TEXT    NOT NULL,
    detail       TEXT    NOT NULL DEFAULT '{}',
    at           DOUBLE PRECISION NOT NULL
);
CREATE INDEX audit_community ON audit (community_id, id);

CREATE FUNCTION audit_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'audit log is append-only';
END
$$ LANGUAGE plpgsql;
CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit
    FOR EACH ROW EXECUTE FUNCTION audit_append_only();
CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit
    FOR EACH ROW EXECUTE FUNCTION audit_append_only();
