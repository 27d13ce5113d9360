-- Complaints from the public (举报/投诉, SPEC §3.4). Who complained is in complaint_complainants.
CREATE TABLE complaints (
    id UUID PRIMARY KEY,
    -- what the complainant tracks with: unambiguous alphabet, unique; plus the hash of the secret key
    tracking_code TEXT NOT NULL UNIQUE,
    access_key_hash TEXT NOT NULL,
    category TEXT NOT NULL CHECK (category IN ('false_indicator', 'not_executed', 'info_missing', 'numbering', 'other')),
    description TEXT NOT NULL,
    -- the target as given
    target_declaration_id UUID,
    target_uscc TEXT,
    target_organization_name TEXT,
    target_standard_number TEXT,
    -- what it resolved to; division NULL = not routable, the sysadmins' queue
    organization_id UUID REFERENCES organizations (id),
    declaration_id UUID REFERENCES declarations (id),
    division_code TEXT CHECK (division_code ~ '^[0-9]{6}$'),
    status TEXT NOT NULL CHECK (status IN ('received', 'accepted', 'rejected', 'assigned', 'concluded')),
    received_at TIMESTAMPTZ NOT NULL,
    -- working-day deadlines are China dates, inclusive
    acceptance_due DATE NOT NULL,
    accepted_at TIMESTAMPTZ,
    accepted_on DATE,
    conclusion_due DATE,
    rejected_at TIMESTAMPTZ,
    rejection_reason TEXT,
    assignee_id UUID REFERENCES users (id),
    assigned_at TIMESTAMPTZ,
    extended_at TIMESTAMPTZ,
    extension_reason TEXT,
    concluded_at TIMESTAMPTZ,
    outcome TEXT CHECK (outcome IN ('substantiated', 'partially_substantiated', 'unsubstantiated')),
    public_reply TEXT,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL,
    CHECK (status NOT IN ('assigned', 'concluded') OR assignee_id IS NOT NULL)
);
CREATE INDEX complaints_division_idx ON complaints (division_code text_pattern_ops, received_at DESC);
CREATE INDEX complaints_open_idx ON complaints (status, acceptance_due, conclusion_due)
    WHERE status IN ('received', 'accepted', 'assigned');
CREATE INDEX complaints_declaration_idx ON complaints (declaration_id) WHERE declaration_id IS NOT NULL;

-- The complainant of a named complaint (none for an anonymous one): name, phone and email sealed
-- with AES-256-GCM, a random nonce per value, under the key `key_id`; never stored in clear.
CREATE TABLE complaint_complainants (
    complaint_id UUID PRIMARY KEY REFERENCES complaints (id),
    key_id TEXT NOT NULL,
    name BYTEA NOT NULL,
    name_nonce BYTEA NOT NULL,
    phone BYTEA,
    phone_nonce BYTEA,
    email BYTEA,
    email_nonce BYTEA,
    CHECK ((phone IS NULL) = (phone_nonce IS NULL)),
    CHECK ((email IS NULL) = (email_nonce IS NULL))
);

-- What happened to a complaint, in order. `public_reply` is what the complainant sees when tracking;
-- `note` is internal (rejection details stay in public_reply, extension reasons in note).
CREATE TABLE complaint_updates (
    id BIGSERIAL PRIMARY KEY,
    complaint_id UUID NOT NULL REFERENCES complaints (id),
    at TIMESTAMPTZ NOT NULL,
    event TEXT NOT NULL CHECK (event IN ('received', 'routed', 'accepted', 'rejected', 'assigned', 'extended', 'concluded')),
    status TEXT NOT NULL,
    public_reply TEXT,
    note TEXT,
    actor_id UUID REFERENCES users (id)
);
CREATE INDEX complaint_updates_complaint_idx ON complaint_updates (complaint_id, id);

-- Evidence from the complainant (images or PDF), content-addressed in the blob store.
CREATE TABLE complaint_attachments (
    id UUID PRIMARY KEY,
    complaint_id UUID NOT NULL REFERENCES complaints (id),
    sha256 TEXT NOT NULL REFERENCES blobs (sha256),
    content_type TEXT NOT NULL,
    size BIGINT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX complaint_attachments_complaint_idx ON complaint_attachments (complaint_id, created_at);

-- Complaint intake per client IP (hashed), a fixed window shared by every server instance.
CREATE TABLE complaint_throttle (
    key TEXT PRIMARY KEY,
    window_start TIMESTAMPTZ NOT NULL,
    count INTEGER NOT NULL
);

-- The flag a concluded complaint raised points back at it.
ALTER TABLE flags ADD CONSTRAINT flags_complaint_fk FOREIGN KEY (complaint_id) REFERENCES complaints (id);
