//! The transactional outbox: services call [`enqueue`] in the same transaction as the change; the
//! worker (see `worker.rs`) claims rows with `FOR UPDATE SKIP LOCKED` and brings the search index up
//! to date. The payload is only the entity id: the worker reloads the entity, so replays are harmless
//! and a missing entity means delete.

use diesel::prelude::*;
use diesel::sql_types::{BigInt, Double, Nullable};
use uuid::Uuid;

use crate::db::schema::outbox;

pub const DECLARATION: &str = "declaration";

/// Records that the search document of an entity must be refreshed.
pub fn enqueue(conn: &mut PgConnection, entity_type: &str, entity_id: Uuid) -> QueryResult<()> {
    diesel::insert_into(outbox::table)
        .values((outbox::entity_type.eq(entity_type), outbox::entity_id.eq(entity_id)))
        .execute(conn)?;
    Ok(())
}

/// Enqueues many entities at once.
pub fn enqueue_many(conn: &mut PgConnection, entity_type: &str, ids: &[Uuid]) -> QueryResult<()> {
    if ids.is_empty() {
        return Ok(());
    }
    let rows: Vec<_> = ids.iter().map(|id| (outbox::entity_type.eq(entity_type), outbox::entity_id.eq(*id))).collect();
    for chunk in rows.chunks(5000) {
        diesel::insert_into(outbox::table).values(chunk).execute(conn)?;
    }
    Ok(())
}

#[derive(QueryableByName, Debug, Clone, Copy)]
pub struct Lag {
    #[diesel(sql_type = BigInt)]
    pub pending: i64,
    #[diesel(sql_type = Nullable<Double>)]
    pub oldest_seconds: Option<f64>,
}

/// How many rows wait and how old the oldest is.
pub fn lag(conn: &mut PgConnection) -> QueryResult<Lag> {
    diesel::sql_query(
        "SELECT count(*)::int8 AS pending, \
         extract(epoch FROM (now() - min(created_at)))::float8 AS oldest_seconds FROM outbox",
    )
    .get_result(conn)
}

// ---------------------------------------------------------------- domain events

/// A standard's catalogue status changed or a replacement was recorded; the payload names the
/// public declarations that execute or cite it.
pub const STANDARD_STATUS_CHANGED: &str = "standard.status_changed";

/// A domain event for consumers other than search (subscriptions, webhooks, feeds): appended in the
/// writer's transaction, so it exists exactly when the change does. Payloads carry public fields only.
#[derive(Clone, Debug)]
pub struct NewDomainEvent {
    pub event_type: &'static str,
    /// What the event is about (a standard number, a declaration id), for consumers that follow one.
    pub subject: String,
    pub payload: serde_json::Value,
}

/// Appends domain events.
pub fn publish_events(
    conn: &mut PgConnection,
    at: chrono::DateTime<chrono::Utc>,
    events: &[NewDomainEvent],
) -> QueryResult<()> {
    use crate::db::schema::events;
    for chunk in events.chunks(1000) {
        let rows: Vec<_> = chunk
            .iter()
            .map(|e| {
                (
                    events::event_type.eq(e.event_type),
                    events::subject.eq(&e.subject),
                    events::payload.eq(&e.payload),
                    events::occurred_at.eq(at),
                )
            })
            .collect();
        diesel::insert_into(events::table).values(rows).execute(conn)?;
    }
    Ok(())
}

/// A stored domain event.
#[derive(Queryable, Selectable, Debug, Clone, serde::Serialize)]
#[diesel(table_name = crate::db::schema::events)]
pub struct DomainEvent {
    pub id: i64,
    pub event_type: String,
    pub subject: String,
    pub payload: serde_json::Value,
    pub occurred_at: chrono::DateTime<chrono::Utc>,
}

/// Events after `after` (an id a consumer keeps as its cursor), oldest first, of the given types
/// (all when empty). Only events of transactions older than every transaction still running are
/// returned, so an id is never skipped because a later one committed first.
pub fn events_after(conn: &mut PgConnection, after: i64, types: &[&str], limit: i64) -> QueryResult<Vec<DomainEvent>> {
    use crate::db::schema::events;
    let mut q = events::table
        .filter(events::id.gt(after))
        .filter(diesel::dsl::sql::<diesel::sql_types::Bool>(
            "txid < pg_snapshot_xmin(pg_current_snapshot())::text::bigint",
        ))
        .into_boxed();
    if !types.is_empty() {
        q = q.filter(events::event_type.eq_any(types.iter().map(|t| t.to_string()).collect::<Vec<_>>()));
    }
    q.order(events::id).limit(limit).select(DomainEvent::as_select()).load(conn)
}
