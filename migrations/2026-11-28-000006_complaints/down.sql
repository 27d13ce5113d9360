ALTER TABLE flags DROP CONSTRAINT flags_complaint_fk;
DROP TABLE complaint_throttle;
DROP TABLE complaint_attachments;
DROP TABLE complaint_updates;
DROP TABLE complaint_complainants;
DROP TABLE complaints;
