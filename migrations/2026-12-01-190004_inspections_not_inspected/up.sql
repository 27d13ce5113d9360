-- An inspection that could not be carried out is closed as `not_inspected` with a reason (kept in
-- resolution_note), so that a campaign can close with every inspection accounted for.
ALTER TABLE inspections DROP CONSTRAINT inspections_status_check;
ALTER TABLE inspections ADD CONSTRAINT inspections_status_check CHECK (status IN
    ('assigned', 'compliant', 'rectification_ordered', 'responded', 'rectified', 'not_rectified', 'not_inspected'));
-- Inspections still without a result, by campaign (the overdue list and the close check).
CREATE INDEX inspections_campaign_status_idx ON inspections (campaign_id, status);
