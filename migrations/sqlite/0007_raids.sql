-- Raids and new members. member_joins: when each member joined (ids and a time, nothing else),
-- for the join-rate check, "everyone who joined in the last ten minutes", and which members
-- raid mode restricted (held_by: the raid's id) so that its end lifts exactly those.
-- raids: one row per raid mode, open while ended_at is NULL, so it survives a restart;
-- changes: what raid mode changed on the platform (chat permissions, slow mode) and the value
-- before, so that its end restores it.
CREATE TABLE member_joins (
    community_id TEXT    NOT NULL,
    member_id    TEXT    NOT NULL,
    platform     TEXT    NOT NULL,
    joined_at    REAL    NOT NULL,
    held_by      INTEGER,
    PRIMARY KEY (community_id, member_id)
);
CREATE INDEX member_joins_recent ON member_joins (community_id, joined_at);

CREATE TABLE raids (
    id           INTEGER PRIMARY KEY,
    community_id TEXT    NOT NULL,
    platform     TEXT    NOT NULL,
    action       TEXT    NOT NULL,
    since        REAL    NOT NULL,
    started_at   REAL    NOT NULL,
    started_by   TEXT    NOT NULL,
    last_activity REAL   NOT NULL,
    hold_until   REAL    NOT NULL DEFAULT 0,
    joins        INTEGER NOT NULL DEFAULT 0,
    changes      TEXT    NOT NULL DEFAULT '{}',
    ended_at     REAL,
    ended_by     TEXT
);
CREATE INDEX raids_open ON raids (community_id, ended_at);
