DROP INDEX inspections_campaign_status_idx;
UPDATE inspections SET status = 'assigned' WHERE status = 'not_inspected';
ALTER TABLE inspections DROP CONSTRAINT inspections_status_check;
ALTER TABLE inspections ADD CONSTRAINT inspections_status_check CHECK (status IN
    ('assigned', 'compliant', 'rectification_ordered', 'responded', 'rectified', 'not_rectified'));
