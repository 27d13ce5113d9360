-- Issue 21: the standards catalogue as a living reference (SPEC §3.6).
-- The catalogue gains every column of the national platform's export, `upcoming`, lists of
-- replacements, a loose-number column indexed for as-you-type search, and the time of each row.
ALTER TABLE catalog_standards DROP CONSTRAINT catalog_standards_status_check;
ALTER TABLE catalog_standards
    ADD CONSTRAINT catalog_standards_status_check CHECK (status IN ('current', 'upcoming', 'abolished', 'unknown'));
ALTER TABLE catalog_standards
    ALTER COLUMN replaces TYPE TEXT[] USING (CASE WHEN coalesce(replaces, '') = '' THEN '{}'::text[] ELSE ARRAY[replaces] END),
    ALTER COLUMN replaced_by TYPE TEXT[] USING (CASE WHEN coalesce(replaced_by, '') = '' THEN '{}'::text[] ELSE ARRAY[replaced_by] END);
ALTER TABLE catalog_standards
    ALTER COLUMN replaces SET DEFAULT '{}', ALTER COLUMN replaces SET NOT NULL,
    ALTER COLUMN replaced_by SET DEFAULT '{}', ALTER COLUMN replaced_by SET NOT NULL,
    ADD COLUMN standard_type TEXT NOT NULL DEFAULT 'national_recommended',
    ADD COLUMN title_en TEXT,
    ADD COLUMN abolish_date DATE,
    ADD COLUMN ics TEXT,
    ADD COLUMN ccs TEXT,
    ADD COLUMN adopted TEXT,
    ADD COLUMN department TEXT,
    ADD COLUMN committee TEXT,
    ADD COLUMN loaded_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    -- letters and digits only, upper case: `GB17761`, `gbt 22239` and `GB/T 22239-2019` all meet here
    ADD COLUMN number_compact TEXT GENERATED ALWAYS AS (upper(regexp_replace(number, '[^A-Za-z0-9]', '', 'g'))) STORED;
UPDATE catalog_standards SET standard_type = CASE
    WHEN prefix = 'GB' THEN 'national_mandatory'
    WHEN prefix = 'GB/Z' THEN 'national_guidance'
    WHEN prefix = 'GB/T' THEN 'national_recommended'
    WHEN number LIKE 'DB%' THEN 'local'
    ELSE 'industry' END;
ALTER TABLE catalog_standards ALTER COLUMN standard_type DROP DEFAULT;
DROP INDEX catalog_standards_number_trgm;
CREATE INDEX catalog_standards_compact_trgm ON catalog_standards USING gin (number_compact gin_trgm_ops);
CREATE INDEX catalog_standards_compact_idx ON catalog_standards (number_compact text_pattern_ops);
-- the daily job: upcoming standards by implementation date, current ones by abolition date
CREATE INDEX catalog_standards_due_idx ON catalog_standards (status, implement_date, abolish_date)
    WHERE status IN ('upcoming', 'current');

-- A declaration's cited standards (规范性引用文件) and the mandatory standards that apply to its
-- products, normalized; the declaration row keeps every number of its current public version
-- (declared, cited, applicable) for finding who a catalogue change touches.
ALTER TABLE declaration_versions
    ADD COLUMN cited_standards TEXT[] NOT NULL DEFAULT '{}',
    ADD COLUMN applicable_mandatory TEXT[] NOT NULL DEFAULT '{}';
ALTER TABLE declarations
    ADD COLUMN standard_refs TEXT[] NOT NULL DEFAULT '{}',
    ADD COLUMN outdated BOOLEAN NOT NULL DEFAULT false;
UPDATE declarations SET standard_refs = ARRAY[standard_number] WHERE current_version IS NOT NULL;
CREATE INDEX declarations_standard_refs_idx ON declarations USING gin (standard_refs);
CREATE INDEX declarations_outdated_idx ON declarations (division_code) WHERE outdated;

-- Public notices: a standard that a public declaration executes or cites was abolished or replaced.
-- Information, not a flag. A notice ends when a revision no longer cites the standard.
CREATE TABLE declaration_notices (
    id BIGSERIAL PRIMARY KEY,
    declaration_id UUID NOT NULL REFERENCES declarations (id),
    standard TEXT NOT NULL,
    role TEXT NOT NULL CHECK (role IN ('declared', 'cited', 'applicable_mandatory')),
    kind TEXT NOT NULL CHECK (kind IN ('standard_abolished', 'standard_replaced')),
    replaced_by TEXT[] NOT NULL DEFAULT '{}',
    since DATE NOT NULL,
    started_at TIMESTAMPTZ NOT NULL,
    ended_at TIMESTAMPTZ,
    end_reason TEXT
);
CREATE UNIQUE INDEX declaration_notices_active_idx ON declaration_notices (declaration_id, standard) WHERE ended_at IS NULL;
CREATE INDEX declaration_notices_declaration_idx ON declaration_notices (declaration_id);

-- Domain events for later consumers (subscriptions, webhooks, feeds): append-only, durable, in the
-- writer's transaction. `txid` lets a reader that keeps a cursor skip rows of transactions still
-- open (read only rows whose txid is below the oldest running transaction).
CREATE TABLE events (
    id BIGSERIAL PRIMARY KEY,
    event_type TEXT NOT NULL,
    subject TEXT NOT NULL,
    payload JSONB NOT NULL,
    occurred_at TIMESTAMPTZ NOT NULL,
    txid BIGINT NOT NULL DEFAULT (pg_current_xact_id()::text::bigint)
);
CREATE INDEX events_type_idx ON events (event_type, id);
CREATE INDEX events_subject_idx ON events (subject, id);

-- A campaign scope can select the declarations with outdated standards.
ALTER TABLE campaigns ADD COLUMN scope_outdated BOOLEAN NOT NULL DEFAULT false;
