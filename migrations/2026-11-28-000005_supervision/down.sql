ALTER TABLE flags DROP CONSTRAINT flags_inspection_fk;
ALTER TABLE flags DROP CONSTRAINT flags_campaign_fk;
DROP TABLE inspections;
DROP TABLE campaigns;
