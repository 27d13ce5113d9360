-- Sessions of the web consoles: a random secret in an HttpOnly cookie, stored here as sha256.
-- A session ends when it expires (idle or absolute limit), is revoked at sign-out or by a password
-- change, or its user is deactivated.
CREATE TABLE web_sessions (
    id UUID PRIMARY KEY,
    token_hash TEXT NOT NULL UNIQUE,
    user_id UUID NOT NULL REFERENCES users (id),
    created_at TIMESTAMPTZ NOT NULL,
    last_seen_at TIMESTAMPTZ NOT NULL,
    -- sliding: last activity + idle limit, never past created_at + absolute limit
    expires_at TIMESTAMPTZ NOT NULL,
    revoked_at TIMESTAMPTZ
);
CREATE INDEX web_sessions_user_idx ON web_sessions (user_id) WHERE revoked_at IS NULL;
