//! The audit log: every state change and every reveal of confidential data appends an event to one
//! hash chain. `hash = sha256(prev_hash || canonical JSON of the event)`; appends lock the single
//! `audit_head` row, so concurrent writers queue and the chain never forks. [`verify`] walks the
//! chain and names the first broken event.

use chrono::{DateTime, SecondsFormat, Utc};
use diesel::prelude::*;
use serde::Serialize;
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::db::schema::{audit_events, audit_head};
use crate::domain::actor::Actor;

/// Who acted.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuditActor {
    pub id: Option<Uuid>,
    /// `anonymous`, `system`, or a user role.
    pub role: String,
}

impl AuditActor {
    /// A signed-in caller; API tokens are recorded as `api_token`, not as the role they act with.
    pub fn of(actor: &Actor) -> Self {
        Self {
            id: Some(actor.user_id),
            role: if actor.api_token_id.is_some() { "api_token".into() } else { actor.role.as_str().into() },
        }
    }

    pub fn system() -> Self {
        Self { id: None, role: "system".into() }
    }
    pub fn anonymous() -> Self {
        Self { id: None, role: "anonymous".into() }
    }
}

/// An event to append.
#[derive(Clone, Debug)]
pub struct NewEvent<'a> {
    pub actor: &'a AuditActor,
    pub action: &'a str,
    pub entity_type: &'a str,
    pub entity_id: String,
    pub division_code: Option<String>,
    pub summary: serde_json::Value,
}

#[derive(Queryable, Selectable, Debug, Clone, Serialize, utoipa::ToSchema)]
#[diesel(table_name = audit_events)]
pub struct AuditEvent {
    pub seq: i64,
    pub at: DateTime<Utc>,
    pub actor_id: Option<Uuid>,
    pub actor_role: String,
    pub action: String,
    pub entity_type: String,
    pub entity_id: String,
    pub division_code: Option<String>,
    #[schema(value_type = Object)]
    pub summary: serde_json::Value,
    pub prev_hash: String,
    pub hash: String,
}

/// JSON with object keys sorted at every level and no insignificant whitespace.
pub fn canonical_json(v: &serde_json::Value) -> String {
    fn write(v: &serde_json::Value, out: &mut String) {
        match v {
            serde_json::Value::Object(map) => {
                let mut keys: Vec<&String> = map.keys().collect();
                keys.sort();
                out.push('{');
                for (i, k) in keys.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    out.push_str(&serde_json::Value::String((*k).clone()).to_string());
                    out.push(':');
                    write(&map[*k], out);
                }
                out.push('}');
            }
            serde_json::Value::Array(items) => {
                out.push('[');
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    write(item, out);
                }
                out.push(']');
            }
            other => out.push_str(&other.to_string()),
        }
    }
    let mut s = String::new();
    write(v, &mut s);
    s
}

/// Microsecond precision, as PostgreSQL stores it.
fn ts(at: &DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Micros, true)
}

/// The canonical JSON of an event in two parts around its `seq` (the value the chain's head assigns
/// when the event is appended): `prefix + seq + suffix` is what [`canonical_json`] gives for the
/// whole event, keys sorted (`action` … `entity_type`, `seq`, `summary`).
#[allow(clippy::too_many_arguments)]
pub fn canonical_parts(
    at: &DateTime<Utc>,
    actor_id: Option<Uuid>,
    actor_role: &str,
    action: &str,
    entity_type: &str,
    entity_id: &str,
    division_code: Option<&str>,
    summary: &serde_json::Value,
) -> (String, String) {
    let text = |s: &str| serde_json::Value::String(s.to_string()).to_string();
    let opt = |s: Option<&str>| s.map_or_else(|| "null".to_string(), text);
    let prefix = format!(
        "{{\"action\":{},\"actor_id\":{},\"actor_role\":{},\"at\":{},\"division_code\":{},\"entity_id\":{},\"entity_type\":{},\"seq\":",
        text(action),
        opt(actor_id.map(|id| id.to_string()).as_deref()),
        text(actor_role),
        text(&ts(at)),
        opt(division_code),
        text(entity_id),
        text(entity_type),
    );
    let suffix = format!(",\"summary\":{}}}", canonical_json(summary));
    (prefix, suffix)
}

fn link_hash(prev_hash: &str, prefix: &str, seq: i64, suffix: &str) -> String {
    let mut h = Sha256::new();
    h.update(prev_hash.as_bytes());
    h.update(prefix.as_bytes());
    h.update(seq.to_string().as_bytes());
    h.update(suffix.as_bytes());
    hex::encode(h.finalize())
}

/// The hash of an event given its fields and the previous hash:
/// `sha256(prev_hash || canonical JSON of the event)`, hex.
#[allow(clippy::too_many_arguments)]
pub fn event_hash(
    prev_hash: &str,
    seq: i64,
    at: &DateTime<Utc>,
    actor_id: Option<Uuid>,
    actor_role: &str,
    action: &str,
    entity_type: &str,
    entity_id: &str,
    division_code: Option<&str>,
    summary: &serde_json::Value,
) -> String {
    let (prefix, suffix) =
        canonical_parts(at, actor_id, actor_role, action, entity_type, entity_id, division_code, summary);
    link_hash(prev_hash, &prefix, seq, &suffix)
}

fn truncate_to_micros(at: DateTime<Utc>) -> DateTime<Utc> {
    let micros = at.timestamp_micros();
    DateTime::from_timestamp_micros(micros).unwrap_or(at)
}

/// Appends an event. Must run inside the caller's transaction, so the event commits with the change.
///
/// One statement: the head's UPDATE locks the row, takes the next `seq` and computes the hash in
/// PostgreSQL from the previous hash and the canonical event sent in two parts around its `seq`
/// ([`canonical_parts`]; the same bytes [`event_hash`] hashes), and the event is inserted from what
/// it returns. The lock is held from this statement to the commit, one round trip instead of four;
/// under READ COMMITTED a waiting UPDATE recomputes its SET on the newest head, so the chain never
/// forks.
pub fn append(conn: &mut PgConnection, at: DateTime<Utc>, ev: NewEvent<'_>) -> QueryResult<i64> {
    use diesel::sql_types::{Jsonb, Nullable, Text, Timestamptz};
    #[derive(QueryableByName)]
    struct Appended {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        seq: i64,
    }
    let at = truncate_to_micros(at);
    let (prefix, suffix) = canonical_parts(
        &at,
        ev.actor.id,
        &ev.actor.role,
        ev.action,
        ev.entity_type,
        &ev.entity_id,
        ev.division_code.as_deref(),
        &ev.summary,
    );
    let row: Appended = diesel::sql_query(
        "WITH head AS (
             UPDATE audit_head
                SET seq = seq + 1,
                    prev_hash = hash,
                    hash = encode(sha256(convert_to(hash || $1 || (seq + 1)::text || $2, 'UTF8')), 'hex')
             RETURNING seq, hash, prev_hash)
         INSERT INTO audit_events
               (seq, at, actor_id, actor_role, action, entity_type, entity_id, division_code, summary, prev_hash, hash)
         SELECT head.seq, $3, $4, $5, $6, $7, $8, $9, $10, head.prev_hash, head.hash FROM head
         RETURNING seq",
    )
    .bind::<Text, _>(&prefix)
    .bind::<Text, _>(&suffix)
    .bind::<Timestamptz, _>(at)
    .bind::<Nullable<diesel::sql_types::Uuid>, _>(ev.actor.id)
    .bind::<Text, _>(&ev.actor.role)
    .bind::<Text, _>(ev.action)
    .bind::<Text, _>(ev.entity_type)
    .bind::<Text, _>(&ev.entity_id)
    .bind::<Nullable<Text>, _>(ev.division_code.as_deref())
    .bind::<Jsonb, _>(&ev.summary)
    .get_result(conn)?;
    Ok(row.seq)
}

/// Appends many events under one lock of the head (bulk writes). Same chain as [`append`].
pub fn append_many(conn: &mut PgConnection, at: DateTime<Utc>, events: &[NewEvent<'_>]) -> QueryResult<()> {
    if events.is_empty() {
        return Ok(());
    }
    let (head_seq, head_hash): (i64, String) =
        audit_head::table.select((audit_head::seq, audit_head::hash)).for_update().first(conn)?;
    let at = truncate_to_micros(at);
    let mut prev = head_hash;
    let mut last_prev = String::new();
    let mut seq = head_seq;
    let mut rows = Vec::with_capacity(events.len());
    for ev in events {
        seq += 1;
        let hash = event_hash(
            &prev,
            seq,
            &at,
            ev.actor.id,
            &ev.actor.role,
            ev.action,
            ev.entity_type,
            &ev.entity_id,
            ev.division_code.as_deref(),
            &ev.summary,
        );
        rows.push((
            audit_events::seq.eq(seq),
            audit_events::at.eq(at),
            audit_events::actor_id.eq(ev.actor.id),
            audit_events::actor_role.eq(ev.actor.role.clone()),
            audit_events::action.eq(ev.action.to_string()),
            audit_events::entity_type.eq(ev.entity_type.to_string()),
            audit_events::entity_id.eq(ev.entity_id.clone()),
            audit_events::division_code.eq(ev.division_code.clone()),
            audit_events::summary.eq(ev.summary.clone()),
            audit_events::prev_hash.eq(prev.clone()),
            audit_events::hash.eq(hash.clone()),
        ));
        last_prev = std::mem::replace(&mut prev, hash);
    }
    for chunk in rows.chunks(2000) {
        diesel::insert_into(audit_events::table).values(chunk).execute(conn)?;
    }
    diesel::update(audit_head::table)
        .set((audit_head::seq.eq(seq), audit_head::hash.eq(&prev), audit_head::prev_hash.eq(&last_prev)))
        .execute(conn)?;
    Ok(())
}

/// The chain's length and head hash. Outsiders who record it over time can tell whether the log
/// was rewritten: a later head must extend the chain they pinned.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Head {
    /// Number of events (the `seq` of the newest one).
    pub count: i64,
    /// Hex sha256 of the newest event (64 zeros while the log is empty).
    pub head_hash: String,
}

pub fn head(conn: &mut PgConnection) -> QueryResult<Head> {
    head_opt(conn)?.ok_or(diesel::result::Error::NotFound)
}

fn head_opt(conn: &mut PgConnection) -> QueryResult<Option<Head>> {
    let row: Option<(i64, String)> =
        audit_head::table.select((audit_head::seq, audit_head::hash)).first(conn).optional()?;
    Ok(row.map(|(seq, hash)| Head { count: seq, head_hash: hash }))
}

/// Result of walking the chain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum Verification {
    Intact(Head),
    /// `seq` names the first event whose link is broken; `intact` events before it check out.
    Broken {
        seq: i64,
        intact: i64,
        reason: String,
    },
}

/// Recomputes the chain from its first row and names the first broken link:
/// - an altered event: its content no longer matches its hash;
/// - a deleted event: a gap in `seq` (or, with renumbering, a `prev_hash` that no longer matches);
/// - an inserted event: a `seq` outside 1..=head (before the first or beyond the recorded head), or
///   a `prev_hash`/hash that does not fit where it was put;
/// - events removed from the end, or a last event rewritten with a recomputed hash: the walk does
///   not arrive at the recorded head.
///
/// The walk reads one snapshot (a read-only repeatable-read transaction), so events appended while
/// it runs are neither half-seen nor mistaken for tampering. Must be called outside a transaction.
pub fn verify(conn: &mut PgConnection) -> QueryResult<Verification> {
    conn.build_transaction().read_only().repeatable_read().run(walk)
}

const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

fn broken(seq: i64, reason: impl Into<String>) -> Verification {
    Verification::Broken { seq, intact: (seq - 1).max(0), reason: reason.into() }
}

fn walk(conn: &mut PgConnection) -> QueryResult<Verification> {
    let Some(recorded) = head_opt(conn)? else {
        let first: Option<i64> =
            audit_events::table.select(audit_events::seq).order(audit_events::seq).first(conn).optional()?;
        return Ok(broken(first.unwrap_or(1), "the recorded head (table audit_head) is missing"));
    };
    let mut prev_hash = GENESIS.to_string();
    let mut expected_seq = 1i64;
    let mut after: Option<i64> = None;
    loop {
        let mut q = audit_events::table.order(audit_events::seq.asc()).limit(5000).into_boxed();
        if let Some(a) = after {
            q = q.filter(audit_events::seq.gt(a));
        }
        let batch: Vec<AuditEvent> = q.select(AuditEvent::as_select()).load(conn)?;
        if batch.is_empty() {
            break;
        }
        for ev in &batch {
            if ev.seq < expected_seq {
                return Ok(broken(
                    ev.seq,
                    format!("event {} lies before the first event of the chain (it was inserted)", ev.seq),
                ));
            }
            if ev.seq > expected_seq {
                return Ok(broken(
                    expected_seq,
                    format!("event {expected_seq} is missing (deleted); the next event present is {}", ev.seq),
                ));
            }
            if ev.seq > recorded.count {
                return Ok(broken(
                    ev.seq,
                    format!(
                        "event {} lies beyond the recorded head (event {}): it was inserted outside the audit writer",
                        ev.seq, recorded.count
                    ),
                ));
            }
            if ev.prev_hash != prev_hash {
                return Ok(broken(
                    ev.seq,
                    format!(
                        "prev_hash of event {} does not match the hash of the event before it (an event was inserted, removed or rewritten with a recomputed hash just before it)",
                        ev.seq
                    ),
                ));
            }
            let computed = event_hash(
                &ev.prev_hash,
                ev.seq,
                &ev.at,
                ev.actor_id,
                &ev.actor_role,
                &ev.action,
                &ev.entity_type,
                &ev.entity_id,
                ev.division_code.as_deref(),
                &ev.summary,
            );
            if computed != ev.hash {
                return Ok(broken(
                    ev.seq,
                    format!("the content of event {} does not match its hash (the event was altered)", ev.seq),
                ));
            }
            prev_hash = ev.hash.clone();
            expected_seq += 1;
        }
        after = batch.last().map(|e| e.seq);
    }
    let count = expected_seq - 1;
    if count < recorded.count {
        return Ok(broken(
            count + 1,
            format!(
                "events {} to {} are missing: the chain ends at event {count} but the recorded head is event {} (events were deleted from the end)",
                count + 1,
                recorded.count,
                recorded.count
            ),
        ));
    }
    if prev_hash != recorded.head_hash {
        // count == recorded.count here: the walk reached the head's seq with another hash.
        return Ok(broken(
            count.max(1),
            format!(
                "event {count} does not end in the recorded head hash (it was rewritten with a recomputed hash, or the head was altered)"
            ),
        ));
    }
    Ok(Verification::Intact(recorded))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn canonical_json_sorts_keys_recursively() {
        let v = serde_json::json!({"b": 1, "a": {"d": [1, {"z": 0, "y": "中"}], "c": null}});
        assert_eq!(canonical_json(&v), r#"{"a":{"c":null,"d":[1,{"y":"中","z":0}]},"b":1}"#);
    }

    /// The two parts the database hashes around `seq` are the canonical JSON of the whole event.
    #[test]
    fn canonical_parts_surround_seq_in_the_canonical_event() {
        let at = DateTime::from_timestamp_micros(1_700_000_000_000_001).expect("ts");
        let id = Uuid::from_u128(0x1234_5678_9abc_def0_1234_5678_9abc_def0);
        let summary = serde_json::json!({"seq": 9, "b": "引号\"与\\反斜杠\n", "a": [1.5, null, true]});
        for (actor, division) in [(Some(id), Some("500103")), (None, None)] {
            let whole = canonical_json(&serde_json::json!({
                "seq": 4711, "at": ts(&at), "actor_id": actor, "actor_role": "org_admin", "action": "declaration.published",
                "entity_type": "declaration", "entity_id": "x\"y", "division_code": division, "summary": summary,
            }));
            let (prefix, suffix) = canonical_parts(
                &at,
                actor,
                "org_admin",
                "declaration.published",
                "declaration",
                "x\"y",
                division,
                &summary,
            );
            assert_eq!(format!("{prefix}4711{suffix}"), whole);
            let mut h = Sha256::new();
            h.update(b"abc");
            h.update(whole.as_bytes());
            assert_eq!(
                event_hash(
                    "abc",
                    4711,
                    &at,
                    actor,
                    "org_admin",
                    "declaration.published",
                    "declaration",
                    "x\"y",
                    division,
                    &summary
                ),
                hex::encode(h.finalize())
            );
        }
    }

    #[test]
    fn hash_depends_on_every_field() {
        let at = DateTime::from_timestamp_micros(1_700_000_000_123_456).expect("ts");
        let base = event_hash("0", 1, &at, None, "system", "x", "e", "1", None, &serde_json::json!({}));
        assert_eq!(base.len(), 64);
        assert_ne!(base, event_hash("1", 1, &at, None, "system", "x", "e", "1", None, &serde_json::json!({})));
        assert_ne!(base, event_hash("0", 2, &at, None, "system", "x", "e", "1", None, &serde_json::json!({})));
        assert_ne!(base, event_hash("0", 1, &at, None, "system", "y", "e", "1", None, &serde_json::json!({})));
        assert_ne!(
            base,
            event_hash("0", 1, &at, None, "system", "x", "e", "1", Some("500103"), &serde_json::json!({}))
        );
        assert_ne!(base, event_hash("0", 1, &at, None, "system", "x", "e", "1", None, &serde_json::json!({"k": 1})));
    }
}
