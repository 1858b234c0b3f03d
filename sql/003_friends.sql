-- Friendships and blocks between accounts.

-- One row per pair of users, whoever asked first: pending until the other accepts.
CREATE TABLE friendships (
    id            bigint PRIMARY KEY,
    requester_id  bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    addressee_id  bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    status        text NOT NULL CHECK (status IN ('pending', 'accepted')),
    created_at    timestamptz NOT NULL DEFAULT now(),
    accepted_at   timestamptz,
    CHECK (requester_id <> addressee_id)
);
-- The pair, in either direction, exists once: two people asking each other at the same moment
-- make one row.
CREATE UNIQUE INDEX friendships_pair_key
    ON friendships (least(requester_id, addressee_id), greatest(requester_id, addressee_id));
CREATE INDEX friendships_addressee_idx ON friendships (addressee_id);

CREATE TABLE user_blocks (
    blocker_id    bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    blocked_id    bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (blocker_id, blocked_id),
    CHECK (blocker_id <> blocked_id)
);
CREATE INDEX user_blocks_blocked_idx ON user_blocks (blocked_id);
