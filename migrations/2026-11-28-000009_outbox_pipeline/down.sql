DROP INDEX outbox_in_flight_idx;
DROP INDEX outbox_available_idx;
CREATE INDEX outbox_available_idx ON outbox (available_at, id);
ALTER TABLE outbox DROP COLUMN sent_at;
ALTER TABLE outbox DROP COLUMN task_uids;
