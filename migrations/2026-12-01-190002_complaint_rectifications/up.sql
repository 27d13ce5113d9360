-- Rectification ordered by a complaint's conclusion: the same lifecycle as an inspection's
-- (services::supervision::rectification): due date, the organization's answer, the regulator's
-- close (rectified / not_rectified, which abolishes), the overdue flag.
CREATE TABLE complaint_rectifications (
    id UUID PRIMARY KEY,
    complaint_id UUID NOT NULL UNIQUE REFERENCES complaints (id),
    declaration_id UUID NOT NULL REFERENCES declarations (id),
    organization_id UUID NOT NULL REFERENCES organizations (id),
    division_code TEXT NOT NULL,
    -- what the organization must put right (public: it is the flag's note too)
    requirement TEXT NOT NULL,
    ordered_by UUID NOT NULL REFERENCES users (id),
    ordered_at TIMESTAMPTZ NOT NULL,
    rectification_due DATE NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('rectification_ordered', 'responded', 'rectified', 'not_rectified')),
    response_statement TEXT,
    response_version_id UUID REFERENCES declaration_versions (id),
    responded_at TIMESTAMPTZ,
    resolution_note TEXT,
    closed_by UUID REFERENCES users (id),
    closed_at TIMESTAMPTZ,
    overdue_flagged_at TIMESTAMPTZ,
    updated_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX complaint_rectifications_organization_idx ON complaint_rectifications (organization_id, ordered_at DESC);
CREATE INDEX complaint_rectifications_division_idx ON complaint_rectifications (division_code text_pattern_ops);
CREATE INDEX complaint_rectifications_declaration_idx ON complaint_rectifications (declaration_id, status);
CREATE INDEX complaint_rectifications_due_idx ON complaint_rectifications (rectification_due)
    WHERE status = 'rectification_ordered';
