-- An appeal begun in a direct message (/start appeal-...) and not yet written: which case the
-- member's next message explains. In the database, not in one process's memory, so webhook
-- workers behind one URL each see it (the /start may reach one, the text another).
CREATE TABLE appeal_drafts (
    platform     TEXT    NOT NULL,
    member_id    TEXT    NOT NULL,
    community_id TEXT    NOT NULL,
    case_number  INTEGER NOT NULL,
    expires_at   REAL    NOT NULL,
    PRIMARY KEY (platform, member_id)
);
