-- Statistics of published declarations (GET /stats/overview, GET /stats/plan), maintained
-- incrementally so that reads cost the same on 1M declarations as on 100 (see docs/decisions.md,
-- "Statistics: incremental counters").
--
-- Every statement that inserts, updates or deletes declarations appends the change it made to the
-- counts to `declaration_stat_deltas` (statement-level triggers over the transition tables, so a
-- bulk insert of 1000 rows writes a few dozen delta rows). Deltas are only ever inserted, never
-- updated, so concurrent writers never wait on a shared counter row and no lock order with the
-- audit head can deadlock. The worker folds the deltas into `declaration_stats` in one statement;
-- readers add `declaration_stats` and the pending deltas, so every read is exact and consistent.

-- (dimension, key) -> count. Dimensions:
--   status          every published declaration (current_version set) by status
--   first_month     every published declaration by the month of its first publication (UTC+8), YYYY-MM
--   kind, standard_type, division, industry_section
--                   declarations currently in force (status 'public'); industry_section '-' = none given
--   new_enterprise_standard, new_group_standard
--                   plan metrics: declarations in force by the declaring organization's division and
--                   the year of first publication (UTC+8), key 'division:YYYY'. Enterprise standards are
--                   product/service declarations of a Q/ standard; group standards are declarations of
--                   kind 'group' (a social organization's own T/ standard).
CREATE TABLE declaration_stats (
    dimension TEXT NOT NULL,
    key TEXT NOT NULL,
    n BIGINT NOT NULL,
    PRIMARY KEY (dimension, key)
);

CREATE TABLE declaration_stat_deltas (
    id BIGSERIAL PRIMARY KEY,
    dimension TEXT NOT NULL,
    key TEXT NOT NULL,
    n BIGINT NOT NULL
);

-- The (dimension, key) pairs one declaration row counts under; none for a never-published draft.
CREATE FUNCTION declaration_stat_keys(
    p_status TEXT,
    p_kind TEXT,
    p_standard_type TEXT,
    p_division_code TEXT,
    p_industry_code TEXT,
    p_current_version INTEGER,
    p_first_published_at TIMESTAMPTZ
) RETURNS TABLE (dimension TEXT, key TEXT)
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT v.dimension, v.key
    FROM (VALUES
        ('status', p_status),
        ('first_month', to_char((p_first_published_at AT TIME ZONE 'UTC') + interval '8 hours', 'YYYY-MM')),
        ('kind', CASE WHEN p_status = 'public' THEN p_kind END),
        ('standard_type', CASE WHEN p_status = 'public' THEN p_standard_type END),
        ('division', CASE WHEN p_status = 'public' THEN p_division_code END),
        ('industry_section', CASE WHEN p_status = 'public' THEN coalesce(left(p_industry_code, 1), '-') END),
        ('new_enterprise_standard',
            CASE WHEN p_status = 'public' AND p_kind IN ('product', 'service') AND p_standard_type = 'enterprise'
                THEN p_division_code || ':' || to_char((p_first_published_at AT TIME ZONE 'UTC') + interval '8 hours', 'YYYY')
            END),
        ('new_group_standard',
            CASE WHEN p_status = 'public' AND p_kind = 'group'
                THEN p_division_code || ':' || to_char((p_first_published_at AT TIME ZONE 'UTC') + interval '8 hours', 'YYYY')
            END)
    ) AS v (dimension, key)
    WHERE p_current_version IS NOT NULL AND v.key IS NOT NULL
$$;

CREATE FUNCTION declaration_stats_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO declaration_stat_deltas (dimension, key, n)
    SELECT k.dimension, k.key, count(*)
    FROM new_rows d,
        LATERAL declaration_stat_keys(d.status, d.kind, d.standard_type, d.division_code, d.industry_code,
                                      d.current_version, d.first_published_at) k
    GROUP BY k.dimension, k.key;
    RETURN NULL;
END
$$;

CREATE FUNCTION declaration_stats_updated() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO declaration_stat_deltas (dimension, key, n)
    SELECT c.dimension, c.key, sum(c.n)
    FROM (
        SELECT k.dimension, k.key, 1 AS n
        FROM new_rows d,
            LATERAL declaration_stat_keys(d.status, d.kind, d.standard_type, d.division_code, d.industry_code,
                                          d.current_version, d.first_published_at) k
        UNION ALL
        SELECT k.dimension, k.key, -1 AS n
        FROM old_rows d,
            LATERAL declaration_stat_keys(d.status, d.kind, d.standard_type, d.division_code, d.industry_code,
                                          d.current_version, d.first_published_at) k
    ) c
    GROUP BY c.dimension, c.key
    HAVING sum(c.n) <> 0;
    RETURN NULL;
END
$$;

CREATE FUNCTION declaration_stats_deleted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO declaration_stat_deltas (dimension, key, n)
    SELECT k.dimension, k.key, -count(*)
    FROM old_rows d,
        LATERAL declaration_stat_keys(d.status, d.kind, d.standard_type, d.division_code, d.industry_code,
                                      d.current_version, d.first_published_at) k
    GROUP BY k.dimension, k.key;
    RETURN NULL;
END
$$;

CREATE TRIGGER declaration_stats_insert AFTER INSERT ON declarations
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION declaration_stats_inserted();
CREATE TRIGGER declaration_stats_update AFTER UPDATE ON declarations
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION declaration_stats_updated();
CREATE TRIGGER declaration_stats_delete AFTER DELETE ON declarations
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION declaration_stats_deleted();

-- Counts of the declarations that exist before this migration.
INSERT INTO declaration_stats (dimension, key, n)
SELECT k.dimension, k.key, count(*)
FROM declarations d,
    LATERAL declaration_stat_keys(d.status, d.kind, d.standard_type, d.division_code, d.industry_code,
                                  d.current_version, d.first_published_at) k
GROUP BY k.dimension, k.key;

-- Regulators read the audit log of their jurisdiction by division prefix (LIKE '5001%').
CREATE INDEX audit_events_division_prefix_idx ON audit_events (division_code text_pattern_ops, seq);
