-- Outbox rows sent to Meilisearch wait here, with their task ids, until the tasks succeed: workers
-- keep feeding Meilisearch (which batches consecutive additions) instead of waiting for each task.
ALTER TABLE outbox ADD COLUMN task_uids BIGINT[];
ALTER TABLE outbox ADD COLUMN sent_at TIMESTAMPTZ;
DROP INDEX outbox_available_idx;
CREATE INDEX outbox_available_idx ON outbox (available_at, id) WHERE task_uids IS NULL;
CREATE INDEX outbox_in_flight_idx ON outbox (sent_at) WHERE task_uids IS NOT NULL;
