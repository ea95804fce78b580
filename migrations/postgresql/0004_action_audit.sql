-- PostgreSQL twin of migrations/sqlite/0004_action_audit.sql.
CREATE FUNCTION case_action_outcome() RETURNS trigger AS $$
BEGIN
    INSERT INTO audit (community_id, case_id, actor, action, detail, at)
    SELECT community_id, id, 'platform', 'action_' || NEW.state,
           json_build_object('kind', NEW.kind, 'reason', NEW.reason)::text, NEW.updated_at
    FROM cases WHERE id = NEW.case_id;
    RETURN NULL;
END
$$ LANGUAGE plpgsql;
CREATE TRIGGER case_action_outcome AFTER UPDATE OF state ON case_actions
    FOR EACH ROW EXECUTE FUNCTION case_action_outcome();
