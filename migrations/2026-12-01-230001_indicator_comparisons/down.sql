ALTER TABLE campaigns DROP COLUMN scope_indicator_review;
DROP TABLE comparison_runs;
DROP TABLE declaration_indicators;
DROP INDEX declarations_indicator_review_idx;
ALTER TABLE declarations
    DROP COLUMN stricter_than_national,
    DROP COLUMN at_mandatory_limit,
    DROP COLUMN comparison_gaps;
DROP TABLE indicator_requirements;
DROP TABLE canonical_indicators;
