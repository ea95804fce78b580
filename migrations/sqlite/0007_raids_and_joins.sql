-- Raids, new members and block lists. member_joins: when each member joined (ids and a time, nothing else),
-- for the join-rate check, "everyone who joined in the last ten minutes", and which members
-- raid mode restricted (held_by: the raid's id) so that its end lifts exactly those; messages:
-- how many a new member has sent since (counted only while they are new); verified_at: when
-- they passed the join challenge (never asked again); challenge: the one pending (the buttons
-- shown and the right one, as JSON), until when, and where it was posted (to remove it).
-- raids: one row per raid mode, open while ended_at is NULL, so it survives a restart;
-- changes: what raid mode changed on the platform (chat permissions, slow mode) and the value
-- before, so that its end restores it.
CREATE TABLE member_joins (
    community_id TEXT    NOT NULL,
    member_id    TEXT    NOT NULL,
    platform     TEXT    NOT NULL,
    joined_at    REAL    NOT NULL,
    held_by      INTEGER,
    messages     INTEGER NOT NULL DEFAULT 0,
    verified_at  REAL,
    challenge    TEXT,
    challenge_until REAL,
    challenge_post TEXT,
    PRIMARY KEY (community_id, member_id)
);
CREATE INDEX member_joins_recent ON member_joins (community_id, joined_at);
CREATE INDEX member_joins_challenges ON member_joins (challenge_until);

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

-- A community's own block list: ids banned when they join (imported, or added by moderators).
CREATE TABLE blocked_members (
    community_id TEXT    NOT NULL,
    member_id    TEXT    NOT NULL,
    reason       TEXT    NOT NULL DEFAULT '',
    added_by     TEXT    NOT NULL,
    added_at     REAL    NOT NULL,
    PRIMARY KEY (community_id, member_id)
);
