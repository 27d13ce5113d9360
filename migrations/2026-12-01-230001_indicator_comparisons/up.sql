-- Issue 23: indicators that can be compared (SPEC §3.8).

-- Canonical indicators: what declared indicators are matched to. `name_keys` holds the name and
-- synonyms in matching form (NFKC, no spaces, lower case), for look-ups by name.
CREATE TABLE canonical_indicators (
    code TEXT PRIMARY KEY CHECK (code ~ '^[a-z][a-z0-9_]{1,79}$'),
    name TEXT NOT NULL,
    synonyms TEXT[] NOT NULL DEFAULT '{}',
    name_keys TEXT[] NOT NULL,
    quantity TEXT NOT NULL,
    -- the canonical unit (display symbol); NULL for dimensionless indicators (pH, indices)
    unit TEXT,
    direction TEXT NOT NULL CHECK (direction IN ('higher_better', 'lower_better', 'range', 'pass_fail')),
    note TEXT,
    source TEXT NOT NULL,
    loaded_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX canonical_indicators_keys_idx ON canonical_indicators USING gin (name_keys);

-- What a standard requires of a canonical indicator, per product class ('' = every product in the
-- standard's scope). A load replaces a standard's rows whole.
CREATE TABLE indicator_requirements (
    id BIGSERIAL PRIMARY KEY,
    standard TEXT NOT NULL,
    nature TEXT NOT NULL CHECK (nature IN ('mandatory', 'recommended')),
    clause TEXT,
    code TEXT NOT NULL REFERENCES canonical_indicators (code),
    indicator_name TEXT NOT NULL,
    product_class TEXT NOT NULL DEFAULT '',
    comparator TEXT NOT NULL CHECK (comparator IN ('<=', '>=', 'range', '=')),
    min DOUBLE PRECISION,
    max DOUBLE PRECISION,
    unit TEXT,
    value_text TEXT,
    note TEXT,
    source TEXT NOT NULL,
    loaded_at TIMESTAMPTZ NOT NULL,
    UNIQUE (standard, code, product_class)
);

-- What the comparisons of a declaration's current public version say, kept for search, the
-- regulators' lists and campaign scopes (recomputed after a vocabulary or requirements load).
ALTER TABLE declarations
    ADD COLUMN stricter_than_national BOOLEAN NOT NULL DEFAULT false,
    ADD COLUMN at_mandatory_limit BOOLEAN NOT NULL DEFAULT false,
    ADD COLUMN comparison_gaps BOOLEAN NOT NULL DEFAULT false;
CREATE INDEX declarations_indicator_review_idx ON declarations (division_code)
    WHERE at_mandatory_limit OR comparison_gaps;

-- The matched canonical indicator and the value in its canonical unit of each declared indicator
-- of a declaration's current public version (rankings read these). `value_min`/`value_max` are
-- the declared interval's ends (a single value gives both; `<=` only the max).
CREATE TABLE declaration_indicators (
    declaration_id UUID NOT NULL REFERENCES declarations (id),
    position SMALLINT NOT NULL,
    version INTEGER NOT NULL,
    code TEXT NOT NULL REFERENCES canonical_indicators (code),
    value_min DOUBLE PRECISION,
    value_max DOUBLE PRECISION,
    value_text TEXT,
    PRIMARY KEY (declaration_id, position)
);
CREATE INDEX declaration_indicators_code_idx ON declaration_indicators (code, declaration_id);

-- Background recomputations after a load: one row per load; workers walk the declarations in id
-- order from `cursor`, a batch per short transaction.
CREATE TABLE comparison_runs (
    id BIGSERIAL PRIMARY KEY,
    reason TEXT NOT NULL,
    -- the standards whose requirements changed; NULL: every public declaration (vocabulary load)
    standards TEXT[],
    requested_at TIMESTAMPTZ NOT NULL,
    started_at TIMESTAMPTZ,
    finished_at TIMESTAMPTZ,
    cursor UUID,
    processed BIGINT NOT NULL DEFAULT 0,
    changed BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX comparison_runs_open_idx ON comparison_runs (id) WHERE finished_at IS NULL;

-- A campaign scope can select declarations at a mandatory limit or whose comparisons could not be made.
ALTER TABLE campaigns ADD COLUMN scope_indicator_review BOOLEAN NOT NULL DEFAULT false;
