-- An append is one statement: the UPDATE of the head computes the next seq and hash from the row it
-- locks (sha256 of the previous hash and the canonical event the application sends in two parts
-- around its seq) and returns the previous hash through this column, so the event can be inserted
-- in the same statement. The head's lock is then held for one statement and the commit instead of
-- four round trips. The hash is byte for byte the one `stdreg audit verify` recomputes.
ALTER TABLE audit_head ADD COLUMN prev_hash TEXT NOT NULL DEFAULT repeat('0', 64);
UPDATE audit_head h SET prev_hash = COALESCE((SELECT e.prev_hash FROM audit_events e WHERE e.seq = h.seq), repeat('0', 64));
