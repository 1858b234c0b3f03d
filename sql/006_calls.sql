-- 1:1 calls (seed 004): who called whom, and how it went. hype-api records every change of
-- state; hype-signal routes the live ones (rings, relays offers and candidates, times out).
--
-- ringing -> active -> ended; or, from ringing: rejected (the callee declined), missed (nobody
-- answered in CALL_RING_TIMEOUT, or the callee went away), cancelled (the caller hung up or
-- went away). A call can also end for reasons of neither side (hype-signal restarted or could
-- not ring, a block, a deleted account): cancelled while ringing, ended once active.
CREATE TABLE calls (
    id           bigint PRIMARY KEY,
    -- NULL once that account is deleted: the other side keeps its history.
    caller_id    bigint REFERENCES users (id) ON DELETE SET NULL,
    callee_id    bigint REFERENCES users (id) ON DELETE SET NULL,
    status       text NOT NULL DEFAULT 'ringing'
                 CHECK (status IN ('ringing', 'active', 'ended', 'rejected', 'missed',
                                   'cancelled')),
    created_at   timestamptz NOT NULL DEFAULT now(),
    answered_at  timestamptz,
    ended_at     timestamptz,
    ended_by     bigint REFERENCES users (id) ON DELETE SET NULL,
    end_reason   text CHECK (end_reason IN ('hangup', 'cancelled', 'rejected', 'timeout',
                                            'disconnected', 'unavailable', 'server_restart',
                                            'blocked', 'account_deleted')),
    CHECK (caller_id <> callee_id),
    CHECK ((status IN ('ringing', 'active')) = (ended_at IS NULL))
);
CREATE INDEX calls_caller_idx ON calls (caller_id, id);
CREATE INDEX calls_callee_idx ON calls (callee_id, id);

-- The line of each user in a ringing or active call, caller and callee alike: the primary key
-- is what keeps a user in one live call at a time, also when two calls are placed at the same
-- moment (the second insert fails with a unique violation: 409 "Call already active").
CREATE TABLE call_lines (
    user_id  bigint PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    call_id  bigint NOT NULL REFERENCES calls (id) ON DELETE CASCADE
);
CREATE INDEX call_lines_call_idx ON call_lines (call_id);
