-- Spot-check campaigns (双随机、一公开) and their inspections (SPEC §3.3).
CREATE TABLE campaigns (
    id UUID PRIMARY KEY,
    name TEXT NOT NULL,
    -- the creating regulator's jurisdiction (division code); the scope lies within it
    jurisdiction TEXT NOT NULL,
    scope_division TEXT NOT NULL CHECK (scope_division ~ '^[0-9]{2}([0-9]{2}){0,2}$'),
    scope_kinds TEXT[] NOT NULL DEFAULT '{}',
    scope_standard_types TEXT[] NOT NULL DEFAULT '{}',
    scope_industry TEXT,
    scope_published_before DATE,
    scope_exclude_sampled_years INTEGER,
    sample_size INTEGER NOT NULL CHECK (sample_size > 0),
    inspector_ids UUID[] NOT NULL,
    due_date DATE NOT NULL,
    -- given at creation, or generated at the draw; public in the report
    seed TEXT,
    status TEXT NOT NULL CHECK (status IN ('planned', 'drawn', 'closed')),
    algorithm TEXT,
    eligible_count INTEGER,
    eligible_digest TEXT,
    -- the ordered eligible list the draw ran on, so anyone can re-run it
    eligible_ids UUID[],
    drawn_count INTEGER,
    created_by UUID NOT NULL REFERENCES users (id),
    created_at TIMESTAMPTZ NOT NULL,
    drawn_at TIMESTAMPTZ,
    closed_at TIMESTAMPTZ,
    updated_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX campaigns_scope_idx ON campaigns (scope_division text_pattern_ops, created_at DESC);

CREATE TABLE inspections (
    id UUID PRIMARY KEY,
    campaign_id UUID NOT NULL REFERENCES campaigns (id),
    declaration_id UUID NOT NULL REFERENCES declarations (id),
    declaration_version INTEGER NOT NULL,
    organization_id UUID NOT NULL REFERENCES organizations (id),
    division_code TEXT NOT NULL,
    inspector_id UUID NOT NULL REFERENCES users (id),
    draw_position INTEGER NOT NULL,
    -- assigned -> compliant | rectification_ordered -> responded -> rectified | not_rectified
    status TEXT NOT NULL CHECK (status IN ('assigned', 'compliant', 'rectification_ordered', 'responded', 'rectified', 'not_rectified')),
    grade TEXT CHECK (grade IN ('compliant', 'compliant_with_defects', 'non_compliant')),
    findings JSONB NOT NULL DEFAULT '[]',
    result_at TIMESTAMPTZ,
    rectification_due DATE,
    response_statement TEXT,
    response_version_id UUID REFERENCES declaration_versions (id),
    responded_at TIMESTAMPTZ,
    resolution_note TEXT,
    closed_at TIMESTAMPTZ,
    overdue_flagged_at TIMESTAMPTZ,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL,
    UNIQUE (campaign_id, declaration_id)
);
CREATE INDEX inspections_inspector_idx ON inspections (inspector_id, status);
CREATE INDEX inspections_organization_idx ON inspections (organization_id, created_at);
CREATE INDEX inspections_division_idx ON inspections (division_code text_pattern_ops);
CREATE INDEX inspections_due_idx ON inspections (rectification_due) WHERE status = 'rectification_ordered';

ALTER TABLE flags ADD CONSTRAINT flags_campaign_fk FOREIGN KEY (campaign_id) REFERENCES campaigns (id);
ALTER TABLE flags ADD CONSTRAINT flags_inspection_fk FOREIGN KEY (inspection_id) REFERENCES inspections (id);
