CREATE TABLE organizations (
    id UUID PRIMARY KEY,
    uscc TEXT NOT NULL UNIQUE CHECK (uscc ~ '^[0-9A-HJ-NPQRTUWXY]{18}$'),
    name TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('enterprise', 'social_organization')),
    division_code TEXT NOT NULL CHECK (division_code ~ '^[0-9]{6}$'),
    industry_code TEXT,
    -- social organizations: the code in their T/ numbers (T/CAS -> CAS)
    group_code TEXT UNIQUE,
    address TEXT,
    contact_phone TEXT,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX organizations_division_idx ON organizations (division_code);
CREATE INDEX organizations_name_trgm ON organizations USING gin (name gin_trgm_ops);

CREATE TABLE users (
    id UUID PRIMARY KEY,
    organization_id UUID REFERENCES organizations (id),
    -- stored lower-case; unique
    email TEXT NOT NULL UNIQUE,
    password_hash TEXT NOT NULL,
    name TEXT NOT NULL,
    role TEXT NOT NULL CHECK (role IN ('org_admin', 'org_member', 'regulator', 'sysadmin')),
    jurisdiction TEXT,
    active BOOLEAN NOT NULL DEFAULT TRUE,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL,
    CHECK ((role IN ('org_admin', 'org_member')) = (organization_id IS NOT NULL)),
    CHECK ((role = 'regulator') = (jurisdiction IS NOT NULL))
);
CREATE INDEX users_organization_idx ON users (organization_id);

-- Opaque refresh tokens, stored as sha256; each use rotates to a new token of the same family.
CREATE TABLE refresh_tokens (
    id UUID PRIMARY KEY,
    user_id UUID NOT NULL REFERENCES users (id),
    family_id UUID NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    created_at TIMESTAMPTZ NOT NULL,
    expires_at TIMESTAMPTZ NOT NULL,
    -- set when this token was exchanged for a new one; presenting it again revokes the family
    rotated_at TIMESTAMPTZ,
    revoked_at TIMESTAMPTZ
);
CREATE INDEX refresh_tokens_family_idx ON refresh_tokens (family_id);
CREATE INDEX refresh_tokens_user_idx ON refresh_tokens (user_id);

-- API tokens for machine clients of an organization: "stdreg_" + secret, stored as sha256.
CREATE TABLE api_tokens (
    id UUID PRIMARY KEY,
    organization_id UUID NOT NULL REFERENCES organizations (id),
    created_by UUID NOT NULL REFERENCES users (id),
    name TEXT NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    -- first characters of the token, to recognise it in lists
    token_prefix TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    expires_at TIMESTAMPTZ,
    last_used_at TIMESTAMPTZ,
    revoked_at TIMESTAMPTZ
);
CREATE INDEX api_tokens_organization_idx ON api_tokens (organization_id);

-- Failed-login throttling, shared by every server instance: one row per account or client IP.
CREATE TABLE login_throttle (
    key TEXT PRIMARY KEY,
    failures INTEGER NOT NULL,
    window_start TIMESTAMPTZ NOT NULL,
    blocked_until TIMESTAMPTZ
);
