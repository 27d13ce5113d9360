-- The below-recommended statement (企业标准化促进办法 Art 14) as a three-way answer: the declarant
-- said nothing (`not_stated`), said no indicator is fewer or lower than the recommended national
-- standard's (`none_lower`), or made a statement (`statement`, the text in below_recommended).
ALTER TABLE declaration_versions
    ADD COLUMN below_recommended_answer TEXT NOT NULL DEFAULT 'not_stated'
        CHECK (below_recommended_answer IN ('not_stated', 'none_lower', 'statement'));
UPDATE declaration_versions SET below_recommended_answer = 'statement' WHERE below_recommended IS NOT NULL;
ALTER TABLE declaration_versions ADD CONSTRAINT declaration_versions_below_recommended_answer_text
    CHECK ((below_recommended_answer = 'statement') = (below_recommended IS NOT NULL));
