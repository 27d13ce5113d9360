//! Evidence: images and PDFs the complainant adds with the tracking code and access key (up to 5,
//! recognised by content, stored in the content-addressed blob store), readable by the handling
//! regulators only.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use serde::Serialize;
use uuid::Uuid;

use super::intake::find_by_code;
use super::load_for;
use crate::audit::{self, AuditActor, NewEvent};
use crate::db::schema::{blobs, complaint_attachments, complaints};
use crate::domain::actor::{Actor, Role};
use crate::domain::complaint::{self, Action};
use crate::error::{ApiError, ApiResult};

/// Largest attachment accepted.
pub const MAX_SIZE: usize = 10 * 1024 * 1024;

/// An attachment as the complainant gets it back.
#[derive(Serialize, Debug, utoipa::ToSchema)]
pub struct AttachmentReceipt {
    pub id: Uuid,
    pub content_type: String,
    pub size: i64,
    /// How many the complaint now has (at most 5).
    pub count: i64,
}

/// Checks that evidence may be added (before the file is written): the code and key, the state
/// and the count.
pub fn check_attachable(conn: &mut PgConnection, code: &str, access_key: &str) -> ApiResult<Uuid> {
    let c = find_by_code(conn, code, access_key, false)?;
    complaint::check(c.status(), c.extended_at.is_some(), Action::AddAttachment)
        .map_err(|r| ApiError::invalid_state(r.0))?;
    let n = attachment_count(conn, c.id)?;
    if n >= complaint::MAX_ATTACHMENTS {
        return Err(too_many());
    }
    Ok(c.id)
}

fn attachment_count(conn: &mut PgConnection, id: Uuid) -> QueryResult<i64> {
    complaint_attachments::table.filter(complaint_attachments::complaint_id.eq(id)).count().get_result(conn)
}

fn too_many() -> ApiError {
    ApiError::conflict("too_many_attachments", format!("每件投诉最多 {} 个附件", complaint::MAX_ATTACHMENTS))
}

/// Records a stored file as evidence of a complaint (again checking the state and the count under
/// the complaint's lock, against concurrent uploads).
pub fn attach(
    conn: &mut PgConnection,
    now: DateTime<Utc>,
    code: &str,
    access_key: &str,
    sha256: &str,
    size: i64,
    content_type: &str,
) -> ApiResult<AttachmentReceipt> {
    let c = find_by_code(conn, code, access_key, true)?;
    complaint::check(c.status(), c.extended_at.is_some(), Action::AddAttachment)
        .map_err(|r| ApiError::invalid_state(r.0))?;
    let n = attachment_count(conn, c.id)?;
    if n >= complaint::MAX_ATTACHMENTS {
        return Err(too_many());
    }
    diesel::insert_into(blobs::table)
        .values((
            blobs::sha256.eq(sha256),
            blobs::size.eq(size),
            blobs::content_type.eq(content_type),
            blobs::created_at.eq(now),
        ))
        .on_conflict_do_nothing()
        .execute(conn)?;
    let id = Uuid::now_v7();
    diesel::insert_into(complaint_attachments::table)
        .values((
            complaint_attachments::id.eq(id),
            complaint_attachments::complaint_id.eq(c.id),
            complaint_attachments::sha256.eq(sha256),
            complaint_attachments::content_type.eq(content_type),
            complaint_attachments::size.eq(size),
            complaint_attachments::created_at.eq(now),
        ))
        .execute(conn)?;
    diesel::update(complaints::table.find(c.id)).set(complaints::updated_at.eq(now)).execute(conn)?;
    audit::append(
        conn,
        now,
        NewEvent {
            actor: &AuditActor::anonymous(),
            action: "complaint.attachment_added",
            entity_type: "complaint",
            entity_id: c.id.to_string(),
            division_code: c.division_code.clone(),
            summary: serde_json::json!({"attachment_id": id, "sha256": sha256, "size": size, "content_type": content_type}),
        },
    )?;
    Ok(AttachmentReceipt { id, content_type: content_type.to_string(), size, count: n + 1 })
}

/// The stored file of an attachment, for a regulator handling the complaint: (sha256, content type).
pub fn file_for(
    conn: &mut PgConnection,
    actor: &Actor,
    complaint: Uuid,
    attachment: Uuid,
) -> ApiResult<(String, String)> {
    if actor.role != Role::Regulator {
        return Err(ApiError::forbidden("附件仅限承办辖区的监管人员查看"));
    }
    load_for(conn, actor, complaint, false)?;
    complaint_attachments::table
        .filter(complaint_attachments::id.eq(attachment))
        .filter(complaint_attachments::complaint_id.eq(complaint))
        .select((complaint_attachments::sha256, complaint_attachments::content_type))
        .first(conn)
        .optional()?
        .ok_or_else(|| ApiError::not_found("附件"))
}
