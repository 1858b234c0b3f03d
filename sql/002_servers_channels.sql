-- Servers (guilds), their roles and members, channels with permission overwrites, and the
-- tables whose counts the channel resource reports (messages, voice states).

-- Global roles for the admin API, and accounts an admin has blocked.
ALTER TABLE users
    ADD COLUMN role text NOT NULL DEFAULT 'user' CHECK (role IN ('user', 'moderator', 'admin')),
    ADD COLUMN is_blocked boolean NOT NULL DEFAULT false;

CREATE TABLE servers (
    id            bigint PRIMARY KEY,
    name          text NOT NULL CHECK (char_length(name) BETWEEN 1 AND 100),
    description   text CHECK (char_length(description) <= 1000),
    icon_url      text CHECK (char_length(icon_url) <= 2048),
    banner_url    text CHECK (char_length(banner_url) <= 2048),
    -- Ownership is transferred, never lost: an owner cannot be deleted while owning servers.
    owner_id      bigint NOT NULL REFERENCES users (id) ON DELETE RESTRICT,
    is_blocked    boolean NOT NULL DEFAULT false,
    is_default    boolean NOT NULL DEFAULT false,
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX servers_owner_id_idx ON servers (owner_id);
-- At most one default server ("Hype Community", made by --seed).
CREATE UNIQUE INDEX servers_default_key ON servers (is_default) WHERE is_default;

-- Permissions are Discord's bitfield (api-daemon/api-permissions.h). Every server has exactly
-- one @everyone role; position orders the hierarchy (higher manages lower).
CREATE TABLE roles (
    id            bigint PRIMARY KEY,
    server_id     bigint NOT NULL REFERENCES servers (id) ON DELETE CASCADE,
    name          text NOT NULL CHECK (char_length(name) BETWEEN 1 AND 100),
    color         integer NOT NULL DEFAULT 0 CHECK (color BETWEEN 0 AND 16777215),
    permissions   bigint NOT NULL DEFAULT 0,
    position      integer NOT NULL DEFAULT 0 CHECK (position >= 0),
    is_hoisted    boolean NOT NULL DEFAULT false,    -- shown apart in member lists
    is_mentionable boolean NOT NULL DEFAULT false,
    is_everyone   boolean NOT NULL DEFAULT false,
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX roles_server_id_idx ON roles (server_id, position);
CREATE UNIQUE INDEX roles_everyone_key ON roles (server_id) WHERE is_everyone;

CREATE TABLE server_members (
    server_id     bigint NOT NULL REFERENCES servers (id) ON DELETE CASCADE,
    user_id       bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    nickname      text CHECK (char_length(nickname) <= 32),
    joined_at     timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (server_id, user_id)
);
CREATE INDEX server_members_user_id_idx ON server_members (user_id);

CREATE TABLE member_roles (
    server_id     bigint NOT NULL,
    user_id       bigint NOT NULL,
    role_id       bigint NOT NULL REFERENCES roles (id) ON DELETE CASCADE,
    PRIMARY KEY (server_id, user_id, role_id),
    FOREIGN KEY (server_id, user_id) REFERENCES server_members (server_id, user_id) ON DELETE CASCADE
);

-- Invitations to join a server: a random token, optionally limited in uses and time.
CREATE TABLE invites (
    id            bigint PRIMARY KEY,
    server_id     bigint NOT NULL REFERENCES servers (id) ON DELETE CASCADE,
    token         text NOT NULL UNIQUE CHECK (char_length(token) BETWEEN 8 AND 64),
    created_by    bigint REFERENCES users (id) ON DELETE SET NULL,
    max_uses      integer CHECK (max_uses > 0),      -- NULL: unlimited
    uses          integer NOT NULL DEFAULT 0 CHECK (uses >= 0),
    expires_at    timestamptz,                        -- NULL: never
    created_at    timestamptz NOT NULL DEFAULT now(),
    CHECK (max_uses IS NULL OR uses <= max_uses)
);
CREATE INDEX invites_server_id_idx ON invites (server_id);

CREATE TABLE channels (
    id            bigint PRIMARY KEY,
    server_id     bigint NOT NULL REFERENCES servers (id) ON DELETE CASCADE,
    name          text NOT NULL CHECK (char_length(name) BETWEEN 1 AND 100),
    type          text NOT NULL CHECK (type IN ('TEXT', 'VOICE', 'ANNOUNCEMENT')),
    topic         text CHECK (char_length(topic) <= 1024),
    position      integer NOT NULL DEFAULT 0,
    user_limit    integer CHECK (user_limit BETWEEN 0 AND 99),
    bitrate       integer CHECK (bitrate BETWEEN 8 AND 384),   -- kbps, voice channels only
    created_by    bigint REFERENCES users (id) ON DELETE SET NULL,
    message_count integer NOT NULL DEFAULT 0,   -- live (not deleted) messages, kept by triggers
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX channels_server_id_idx ON channels (server_id, position, id);

-- Per-channel allow/deny for a role (the @everyone role included) or a member.
CREATE TABLE channel_overwrites (
    channel_id    bigint NOT NULL REFERENCES channels (id) ON DELETE CASCADE,
    target_type   text NOT NULL CHECK (target_type IN ('role', 'member')),
    target_id     bigint NOT NULL,
    allow         bigint NOT NULL DEFAULT 0,
    deny          bigint NOT NULL DEFAULT 0,
    PRIMARY KEY (channel_id, target_type, target_id)
);

CREATE TABLE messages (
    id            bigint PRIMARY KEY,
    channel_id    bigint NOT NULL REFERENCES channels (id) ON DELETE CASCADE,
    author_id     bigint REFERENCES users (id) ON DELETE SET NULL,
    content       text NOT NULL CHECK (char_length(content) BETWEEN 1 AND 2000),
    edited        boolean NOT NULL DEFAULT false,
    edited_at     timestamptz,
    deleted_at    timestamptz,            -- soft delete
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now(),
    search        tsvector GENERATED ALWAYS AS (to_tsvector('simple', content)) STORED
);
-- Time-ordered ids make (channel_id, id) the order of a channel's history and its cursors.
CREATE INDEX messages_channel_id_idx ON messages (channel_id, id) WHERE deleted_at IS NULL;
CREATE INDEX messages_search_idx ON messages USING gin (search);

-- Attachments are metadata: the files themselves live wherever the client uploaded them.
CREATE TABLE message_attachments (
    id            bigint PRIMARY KEY,
    message_id    bigint NOT NULL REFERENCES messages (id) ON DELETE CASCADE,
    position      smallint NOT NULL DEFAULT 0,
    filename      text NOT NULL CHECK (char_length(filename) BETWEEN 1 AND 255),
    url           text NOT NULL CHECK (char_length(url) BETWEEN 1 AND 2048),
    size          bigint NOT NULL CHECK (size BETWEEN 0 AND 104857600),
    mime_type     text NOT NULL CHECK (char_length(mime_type) BETWEEN 3 AND 255)
);
CREATE INDEX message_attachments_message_id_idx ON message_attachments (message_id, position);

-- One reaction per (message, user, emoji); adding it twice is the same reaction.
CREATE TABLE message_reactions (
    id            bigint PRIMARY KEY,
    message_id    bigint NOT NULL REFERENCES messages (id) ON DELETE CASCADE,
    user_id       bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    emoji         text NOT NULL CHECK (char_length(emoji) BETWEEN 1 AND 64),
    created_at    timestamptz NOT NULL DEFAULT now(),
    UNIQUE (message_id, user_id, emoji)
);

-- Pagination reports totals: a counter kept in step with inserts and (soft) deletes answers
-- them without counting a channel's history each time.
CREATE FUNCTION messages_count_trigger() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' AND NEW.deleted_at IS NULL THEN
        UPDATE channels SET message_count = message_count + 1 WHERE id = NEW.channel_id;
    ELSIF TG_OP = 'UPDATE' AND OLD.deleted_at IS NULL AND NEW.deleted_at IS NOT NULL THEN
        UPDATE channels SET message_count = message_count - 1 WHERE id = NEW.channel_id;
    ELSIF TG_OP = 'DELETE' AND OLD.deleted_at IS NULL THEN
        UPDATE channels SET message_count = message_count - 1 WHERE id = OLD.channel_id;
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER messages_count AFTER INSERT OR UPDATE OF deleted_at OR DELETE ON messages
    FOR EACH ROW EXECUTE FUNCTION messages_count_trigger();

-- Who is in which voice channel; written by hype-signal through hype-api, cleared on disconnect.
CREATE TABLE voice_states (
    user_id       bigint PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    channel_id    bigint NOT NULL REFERENCES channels (id) ON DELETE CASCADE,
    is_muted      boolean NOT NULL DEFAULT false,
    is_deafened   boolean NOT NULL DEFAULT false,
    joined_at     timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX voice_states_channel_id_idx ON voice_states (channel_id);
