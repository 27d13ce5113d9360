-- Tamper-evident audit log: one hash chain over all events. `seq` is dense (1, 2, 3 ...) and
-- appends are serialized through the single row of audit_head (SELECT ... FOR UPDATE), so the chain
-- never forks. hash = sha256(prev_hash || canonical JSON of the event), both hex.
CREATE TABLE audit_events (
    seq BIGINT PRIMARY KEY,
    at TIMESTAMPTZ NOT NULL,
    actor_id UUID,
    actor_role TEXT NOT NULL,
    action TEXT NOT NULL,
    entity_type TEXT NOT NULL,
    entity_id TEXT NOT NULL,
    -- division of the organization concerned, for regulators' jurisdiction reads
    division_code TEXT,
    summary JSONB NOT NULL,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL
);
CREATE INDEX audit_events_entity_idx ON audit_events (entity_type, entity_id, seq);
CREATE INDEX audit_events_division_idx ON audit_events (division_code, seq);

CREATE TABLE audit_head (
    id BOOLEAN PRIMARY KEY DEFAULT TRUE CHECK (id),
    seq BIGINT NOT NULL,
    hash TEXT NOT NULL
);
INSERT INTO audit_head (id, seq, hash) VALUES (TRUE, 0, repeat('0', 64));

-- Transactional outbox: every change that affects search writes a row here in the same
-- transaction; workers claim rows with FOR UPDATE SKIP LOCKED and reload the entity by id.
CREATE TABLE outbox (
    id BIGSERIAL PRIMARY KEY,
    entity_type TEXT NOT NULL,
    entity_id UUID NOT NULL,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    available_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    attempts INTEGER NOT NULL DEFAULT 0,
    last_error TEXT
);
CREATE INDEX outbox_available_idx ON outbox (available_at, id);

-- Small key/value state for search maintenance (e.g. the index a running reindex fills, which the
-- outbox worker then writes to as well).
CREATE TABLE search_state (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
