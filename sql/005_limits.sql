-- Limits on what users can create, enforced where the rows are written. A count inside the
-- INSERT statement would not hold: under READ COMMITTED two concurrent inserts each count with
-- a snapshot that misses the other's row, and both pass. So a trigger first locks the parent
-- row, which queues concurrent writers to the same parent, then counts: each statement of a
-- PL/pgSQL function takes a fresh snapshot, which sees what the writer before it committed.
-- hype-api answers the violation (SQLSTATE 23514 with the constraint name below) with 400;
-- api-daemon/api-access.h holds the same numbers for its messages.

-- At most 250 roles per server (Discord's limit), @everyone not counted: a member may hold
-- them all.
CREATE FUNCTION roles_per_server_max_trigger() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.is_everyone THEN
        RETURN NEW;
    END IF;
    PERFORM 1 FROM servers WHERE id = NEW.server_id FOR NO KEY UPDATE;
    IF (SELECT count(*) FROM roles WHERE server_id = NEW.server_id AND NOT is_everyone) >= 250 THEN
        RAISE EXCEPTION 'a server has at most 250 roles'
            USING ERRCODE = 'check_violation', CONSTRAINT = 'roles_per_server_max';
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER roles_per_server_max BEFORE INSERT ON roles
    FOR EACH ROW EXECUTE FUNCTION roles_per_server_max_trigger();

-- At most 500 permission overwrites per channel: room for one per role of the server and as
-- many for members. An INSERT ... ON CONFLICT DO UPDATE of an existing overwrite (a BEFORE
-- INSERT trigger fires for it too) changes a row and adds none: it passes on a full channel.
CREATE FUNCTION channel_overwrites_max_trigger() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM 1 FROM channels WHERE id = NEW.channel_id FOR NO KEY UPDATE;
    IF (SELECT count(*) FROM channel_overwrites WHERE channel_id = NEW.channel_id) >= 500
       AND NOT EXISTS (SELECT 1 FROM channel_overwrites WHERE channel_id = NEW.channel_id
                       AND target_type = NEW.target_type AND target_id = NEW.target_id) THEN
        RAISE EXCEPTION 'a channel has at most 500 permission overwrites'
            USING ERRCODE = 'check_violation', CONSTRAINT = 'channel_overwrites_max';
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER channel_overwrites_max BEFORE INSERT ON channel_overwrites
    FOR EACH ROW EXECUTE FUNCTION channel_overwrites_max_trigger();
