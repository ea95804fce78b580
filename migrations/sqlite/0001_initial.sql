-- Cases, their platform actions, points, appeals, review queue, timed actions, settings, audit.
-- Times are Unix seconds (REAL). Message text is never stored: only a bounded excerpt.

CREATE TABLE community_counters (
    community_id TEXT PRIMARY KEY,
    next_case    INTEGER NOT NULL
);

CREATE TABLE cases (
    id           INTEGER PRIMARY KEY,
    community_id TEXT    NOT NULL,
    number       INTEGER NOT NULL,
    platform     TEXT    NOT NULL,
    member_id    TEXT    NOT NULL,
    channel_id   TEXT    NOT NULL DEFAULT '',
    message_id   TEXT    NOT NULL DEFAULT '',
    rule_ids     TEXT    NOT NULL DEFAULT '[]',  -- JSON list
    clauses      TEXT    NOT NULL DEFAULT '[]',  -- JSON list, one per rule
    span_start   INTEGER,
    span_end     INTEGER,
    excerpt      TEXT    NOT NULL DEFAULT '',
    confidence   REAL,
    action       TEXT    NOT NULL,               -- warn | delete_warn | mute | ban | none
    until        REAL,                           -- end of a mute
    actor        TEXT    NOT NULL,               -- 'auto' or the moderator's id
    reason       TEXT    NOT NULL DEFAULT '',
    status       TEXT    NOT NULL,               -- active | expired | pardoned | overturned | shadow
    points       REAL    NOT NULL DEFAULT 0,
    language     TEXT    NOT NULL DEFAULT 'vi',
    created_at   REAL    NOT NULL,
    updated_at   REAL    NOT NULL,
    UNIQUE (community_id, number)
);
CREATE INDEX cases_member ON cases (community_id, member_id);

CREATE TABLE case_actions (
    id         INTEGER PRIMARY KEY,
    case_id    INTEGER NOT NULL REFERENCES cases (id),
    kind       TEXT    NOT NULL,   -- delete | warn | mute | unmute | ban | dm | modlog
    state      TEXT    NOT NULL,   -- pending | done | failed
    reason     TEXT    NOT NULL DEFAULT '',
    updated_at REAL    NOT NULL
);
CREATE INDEX case_actions_case ON case_actions (case_id);

CREATE TABLE points (
    id           INTEGER PRIMARY KEY,
    community_id TEXT    NOT NULL,
    member_id    TEXT    NOT NULL,
    case_id      INTEGER NOT NULL REFERENCES cases (id),
    points       REAL    NOT NULL,
    at           REAL    NOT NULL,
    refunded     INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX points_member ON points (community_id, member_id);

CREATE TABLE appeals (
    id          INTEGER PRIMARY KEY,
    case_id     INTEGER NOT NULL REFERENCES cases (id),
    member_id   TEXT    NOT NULL,
    text        TEXT    NOT NULL,
    status      TEXT    NOT NULL,   -- open | approved | rejected
    decided_by  TEXT,
    decision    TEXT    NOT NULL DEFAULT '',
    created_at  REAL    NOT NULL,
    decided_at  REAL
);
CREATE INDEX appeals_case ON appeals (case_id);

CREATE TABLE review_queue (
    id           INTEGER PRIMARY KEY,
    community_id TEXT    NOT NULL,
    platform     TEXT    NOT NULL,
    member_id    TEXT    NOT NULL,
    channel_id   TEXT    NOT NULL DEFAULT '',
    message_id   TEXT    NOT NULL DEFAULT '',
    rule_ids     TEXT    NOT NULL,
    clauses      TEXT    NOT NULL,
    excerpt      TEXT    NOT NULL,
    confidence   REAL    NOT NULL,
    severity     INTEGER NOT NULL,
    why          TEXT    NOT NULL,   -- low_confidence | moderator
    language     TEXT    NOT NULL DEFAULT 'vi',
    status       TEXT    NOT NULL,   -- open | confirmed | dismissed
    decided_by   TEXT,
    case_id      INTEGER REFERENCES cases (id),
    created_at   REAL    NOT NULL,
    decided_at   REAL
);
CREATE INDEX review_open ON review_queue (community_id, status);

CREATE TABLE scheduled (
    id           INTEGER PRIMARY KEY,
    community_id TEXT    NOT NULL,
    kind         TEXT    NOT NULL,   -- mute_expiry | appeal_reminder
    case_id      INTEGER NOT NULL REFERENCES cases (id),
    due_at       REAL    NOT NULL,
    state        TEXT    NOT NULL,   -- pending | done | cancelled
    done_at      REAL
);
CREATE INDEX scheduled_due ON scheduled (state, due_at);

CREATE TABLE community_settings (
    community_id TEXT PRIMARY KEY,
    settings     TEXT NOT NULL,      -- JSON, see bot/service/settings.py
    updated_at   REAL NOT NULL
);

CREATE TABLE moderators (
    community_id TEXT NOT NULL,
    user_id      TEXT NOT NULL,
    seen_at      REAL NOT NULL,
    PRIMARY KEY (community_id, user_id)
);

CREATE TABLE audit (
    id           INTEGER PRIMARY KEY,
    community_id TEXT    NOT NULL,
    case_id      INTEGER,
    actor        TEXT    NOT NULL,
    action       TEXT    NOT NULL,
    detail       TEXT    NOT NULL DEFAULT '{}',  -- JSON
    at           REAL    NOT NULL
);
CREATE INDEX audit_community ON audit (community_id, id);

-- The audit log is append-only: the database itself refuses edits.
CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit
BEGIN SELECT RAISE(ABORT, 'audit log is append-only'); END;
CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit
BEGIN SELECT RAISE(ABORT, 'audit log is append-only'); END;
