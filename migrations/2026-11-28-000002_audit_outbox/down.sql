DROP TABLE search_state;
DROP TABLE outbox;
DROP TABLE audit_head;
DROP TABLE audit_events;
