-- Accounts and sessions.
--
-- IDs are time-ordered 64-bit integers made by the daemons (common/hype-id.c), rendered as
-- decimal strings in the API.

CREATE TABLE users (
    id            bigint PRIMARY KEY,
    username      text NOT NULL CHECK (char_length(username) BETWEEN 3 AND 32),
    email         text CHECK (char_length(email) <= 254),
    password_hash text,            -- argon2id PHC string; NULL for guests, who cannot log in
    display_name  text CHECK (char_length(display_name) <= 32),
    bio           text CHECK (char_length(bio) <= 500),
    avatar_url    text CHECK (char_length(avatar_url) <= 2048),
    status        text NOT NULL DEFAULT 'offline'
                  CHECK (status IN ('online', 'idle', 'dnd', 'offline')),
    custom_status text CHECK (char_length(custom_status) <= 128),
    is_guest      boolean NOT NULL DEFAULT false,
    is_online     boolean NOT NULL DEFAULT false,
    last_seen_at  timestamptz,
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now()
);

-- Names and addresses are unique without regard to case; the index names are what the API maps
-- a unique violation to ("Username already taken", "Email already registered").
CREATE UNIQUE INDEX users_username_key ON users (lower(username));
CREATE UNIQUE INDEX users_email_key ON users (lower(email)) WHERE email IS NOT NULL;

-- A session is one login and one refresh-token family. Each refresh replaces
-- refresh_token_hash (SHA-256 of the current token); presenting an earlier token of the family
-- (valid signature, same session, other hash) means it was stolen or replayed, and revokes the
-- whole family.
CREATE TABLE sessions (
    id                 bigint PRIMARY KEY,
    user_id            bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    refresh_token_hash bytea NOT NULL,
    generation         integer NOT NULL DEFAULT 1,   -- refreshes so far + 1
    user_agent         text,
    ip                 inet,
    created_at         timestamptz NOT NULL DEFAULT now(),
    last_used_at       timestamptz NOT NULL DEFAULT now(),
    expires_at         timestamptz NOT NULL,
    revoked_at         timestamptz,
    revoked_reason     text CHECK (revoked_reason IN ('logout', 'refresh_token_reuse', 'admin',
                                                      'account_deleted'))
);

CREATE INDEX sessions_user_id_idx ON sessions (user_id);
-- hype-api loads recently revoked sessions at start to keep rejecting their access tokens.
CREATE INDEX sessions_revoked_at_idx ON sessions (revoked_at) WHERE revoked_at IS NOT NULL;
