-- Default data, idempotent: "hype-api --seed" runs this in one transaction as often as asked.
-- Fixed small ids keep the rows recognisable; generated ids are 64-bit snowflakes and never
-- collide with them.

-- The owner of the default server: an account nobody can log into (no password hash).
INSERT INTO users (id, username, display_name, status)
VALUES (1, 'system', 'Hype', 'offline')
ON CONFLICT DO NOTHING;

INSERT INTO servers (id, name, description, owner_id, is_default)
SELECT 1, 'Hype Community', 'Welcome to Hype! This is the default server for all users.', 1, true
WHERE EXISTS (SELECT 1 FROM users WHERE id = 1)
ON CONFLICT DO NOTHING;

-- @everyone: view, send, history, reactions, invites, connect, speak, voice activity, stream,
-- embeds, attachments, nickname (PERM_EVERYONE_DEFAULT = 103927361).
INSERT INTO roles (id, server_id, name, permissions, position, is_everyone)
SELECT 1, 1, '@everyone', 103927361, 0, true WHERE EXISTS (SELECT 1 FROM servers WHERE id = 1)
ON CONFLICT DO NOTHING;

INSERT INTO channels (id, server_id, name, type, topic, position, user_limit, bitrate, created_by)
SELECT v.* FROM (VALUES
    (1::bigint, 1::bigint, 'general', 'TEXT', 'General discussion', 0, NULL::int, NULL::int, 1::bigint),
    (2, 1, 'announcements', 'ANNOUNCEMENT', 'News from the team', 1, NULL, NULL, 1),
    (3, 1, 'General Voice', 'VOICE', NULL, 2, NULL, 64, 1),
    (4, 1, 'Gaming', 'VOICE', NULL, 3, 10, 96, 1)
) AS v WHERE EXISTS (SELECT 1 FROM servers WHERE id = 1)
ON CONFLICT DO NOTHING;

-- Only the team posts announcements: @everyone may read but not send (PERM_SEND_MESSAGES).
INSERT INTO channel_overwrites (channel_id, target_type, target_id, allow, deny)
SELECT 2, 'role', 1, 0, 2048 WHERE EXISTS (SELECT 1 FROM channels WHERE id = 2)
ON CONFLICT DO NOTHING;

INSERT INTO server_members (server_id, user_id)
SELECT 1, 1 WHERE EXISTS (SELECT 1 FROM servers WHERE id = 1)
ON CONFLICT DO NOTHING;
