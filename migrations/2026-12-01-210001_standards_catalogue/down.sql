ALTER TABLE campaigns DROP COLUMN scope_outdated;
DROP TABLE events;
DROP TABLE declaration_notices;
DROP INDEX declarations_outdated_idx;
DROP INDEX declarations_standard_refs_idx;
ALTER TABLE declarations DROP COLUMN outdated, DROP COLUMN standard_refs;
ALTER TABLE declaration_versions DROP COLUMN applicable_mandatory, DROP COLUMN cited_standards;
DROP INDEX catalog_standards_due_idx;
DROP INDEX catalog_standards_compact_idx;
DROP INDEX catalog_standards_compact_trgm;
CREATE INDEX catalog_standards_number_trgm ON catalog_standards USING gin (number gin_trgm_ops);
ALTER TABLE catalog_standards
    DROP COLUMN number_compact, DROP COLUMN loaded_at, DROP COLUMN committee, DROP COLUMN department,
    DROP COLUMN adopted, DROP COLUMN ccs, DROP COLUMN ics, DROP COLUMN abolish_date, DROP COLUMN title_en,
    DROP COLUMN standard_type;
ALTER TABLE catalog_standards ALTER COLUMN replaces DROP NOT NULL, ALTER COLUMN replaces DROP DEFAULT,
    ALTER COLUMN replaced_by DROP NOT NULL, ALTER COLUMN replaced_by DROP DEFAULT;
ALTER TABLE catalog_standards
    ALTER COLUMN replaces TYPE TEXT USING (replaces[1]),
    ALTER COLUMN replaced_by TYPE TEXT USING (replaced_by[1]);
UPDATE catalog_standards SET status = 'current' WHERE status = 'upcoming';
ALTER TABLE catalog_standards DROP CONSTRAINT catalog_standards_status_check;
ALTER TABLE catalog_standards ADD CONSTRAINT catalog_standards_status_check CHECK (status IN ('current', 'abolished', 'unknown'));
