-- Moderation and admin actions: who did what to which target, and when.
CREATE TABLE audit_logs (
    id            bigint PRIMARY KEY,
    actor_id      bigint REFERENCES users (id) ON DELETE SET NULL,
    action        text NOT NULL,              -- "user.update", "server.block", ...
    target_type   text NOT NULL CHECK (target_type IN ('user', 'server', 'channel', 'message', 'role')),
    target_id     bigint NOT NULL,
    details       jsonb NOT NULL DEFAULT '{}',
    created_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX audit_logs_created_idx ON audit_logs (id DESC);

ALTER TABLE servers ADD COLUMN blocked_reason text CHECK (char_length(blocked_reason) <= 500);
