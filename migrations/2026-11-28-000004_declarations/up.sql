-- A declaration keeps one id for life; its versions are immutable once published.
CREATE TABLE declarations (
    id UUID PRIMARY KEY,
    organization_id UUID NOT NULL REFERENCES organizations (id),
    kind TEXT NOT NULL CHECK (kind IN ('product', 'service', 'group')),
    -- public-facing state: draft (never published), public, withdrawn, abolished
    status TEXT NOT NULL CHECK (status IN ('draft', 'public', 'withdrawn', 'abolished')),
    -- the version the public sees (newest published); NULL until first published
    current_version INTEGER,
    -- the pending draft version, if any (at most one)
    draft_version INTEGER,
    latest_version INTEGER NOT NULL,
    -- copied from the public-facing version (or the first draft) for lists, search fallback,
    -- statistics and the uniqueness rule
    standard_number TEXT NOT NULL,
    standard_type TEXT NOT NULL,
    standard_title TEXT NOT NULL,
    industry_code TEXT,
    division_code TEXT NOT NULL,
    first_published_at TIMESTAMPTZ,
    published_at TIMESTAMPTZ,
    withdrawn_at TIMESTAMPTZ,
    -- everything the public can search by, for the PostgreSQL fallback (pg_trgm)
    search_text TEXT NOT NULL DEFAULT '',
    flagged BOOLEAN NOT NULL DEFAULT FALSE,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
);
-- One live (draft/public) declaration per organization, kind and normalized number.
CREATE UNIQUE INDEX declarations_live_unique ON declarations (organization_id, kind, standard_number)
    WHERE status IN ('draft', 'public');
CREATE INDEX declarations_organization_idx ON declarations (organization_id, created_at DESC);
CREATE INDEX declarations_public_idx ON declarations (status, published_at DESC) WHERE current_version IS NOT NULL;
CREATE INDEX declarations_division_idx ON declarations (division_code text_pattern_ops) WHERE current_version IS NOT NULL;
CREATE INDEX declarations_updated_idx ON declarations (updated_at, id);
CREATE INDEX declarations_search_trgm ON declarations USING gin (search_text gin_trgm_ops);

CREATE TABLE declaration_versions (
    id UUID PRIMARY KEY,
    declaration_id UUID NOT NULL REFERENCES declarations (id),
    version INTEGER NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('draft', 'public', 'superseded', 'withdrawn', 'abolished')),
    standard_number_raw TEXT NOT NULL,
    standard_number TEXT NOT NULL,
    standard_type TEXT NOT NULL,
    standard_title TEXT NOT NULL,
    products JSONB NOT NULL,
    indicators JSONB NOT NULL,
    industry_code TEXT,
    ics_code TEXT,
    ccs_code TEXT,
    below_recommended TEXT,
    summary TEXT,
    effective_date DATE,
    full_text_sha256 TEXT,
    full_text_size BIGINT,
    full_text_public BOOLEAN NOT NULL DEFAULT FALSE,
    warnings JSONB NOT NULL DEFAULT '[]',
    commitment BOOLEAN NOT NULL DEFAULT FALSE,
    created_by UUID NOT NULL REFERENCES users (id),
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL,
    published_at TIMESTAMPTZ,
    published_by UUID REFERENCES users (id),
    -- when and why it stopped being current (superseded, withdrawn, abolished)
    ended_at TIMESTAMPTZ,
    end_reason TEXT,
    UNIQUE (declaration_id, version)
);

-- Content-addressed files (full texts, complaint attachments), stored under data_dir/blobs.
CREATE TABLE blobs (
    sha256 TEXT PRIMARY KEY,
    size BIGINT NOT NULL,
    content_type TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL
);

-- Public supervision flags on declarations (SPEC §3.3); a flag ends with its resolution.
CREATE TABLE flags (
    id UUID PRIMARY KEY,
    declaration_id UUID NOT NULL REFERENCES declarations (id),
    code TEXT NOT NULL CHECK (code IN ('under_check', 'rectification_ordered', 'overdue', 'abolished_by_authority')),
    note TEXT,
    raised_at TIMESTAMPTZ NOT NULL,
    raised_by UUID REFERENCES users (id),
    campaign_id UUID,
    inspection_id UUID,
    complaint_id UUID,
    resolved_at TIMESTAMPTZ,
    resolved_by UUID REFERENCES users (id),
    resolution TEXT
);
CREATE INDEX flags_declaration_idx ON flags (declaration_id, raised_at);
CREATE INDEX flags_active_idx ON flags (declaration_id) WHERE resolved_at IS NULL;
