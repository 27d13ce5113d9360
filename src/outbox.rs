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
