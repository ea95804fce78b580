-- Every change of a platform action's outcome writes its audit entry, whatever code made it:
-- the outcome and its entry are one statement (one round trip where they were a transaction
-- of two statements), and no path can record an outcome without its entry.
CREATE TRIGGER case_action_outcome AFTER UPDATE OF state ON case_actions
BEGIN
    INSERT INTO audit (community_id, case_id, actor, action, detail, at)
    SELECT community_id, id, 'platform', 'action_' || NEW.state,
           json_object('kind', NEW.kind, 'reason', NEW.reason), NEW.updated_at
    FROM cases WHERE id = NEW.case_id;
END;
