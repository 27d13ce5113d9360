-- The uniqueness check looks up pending drafts by number; drafts are few, so a partial index is small.
CREATE INDEX declaration_versions_draft_number_idx ON declaration_versions (standard_number) WHERE status = 'draft';
