//! The complainant's identity (市场监督管理投诉举报处理暂行办法 Art 33): name, phone and email are
//! sealed one by one with AES-256-GCM under the newest complaint key before they reach the
//! database, bound to the complaint and the field, and opened only for the reveal.

use diesel::prelude::*;
use uuid::Uuid;

use crate::config::ComplaintKeys;
use crate::crypto::{self, OpenError, Sealed};
use crate::db::schema::complaint_complainants;

/// Who complains, in clear: held in memory only, never logged.
pub struct Complainant {
    pub name: String,
    pub phone: Option<String>,
    pub email: Option<String>,
}

impl std::fmt::Debug for Complainant {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Complainant([REDACTED])")
    }
}

/// A stored complainant row.
#[derive(Queryable, Selectable)]
#[diesel(table_name = complaint_complainants)]
struct SealedRow {
    key_id: String,
    name: Vec<u8>,
    name_nonce: Vec<u8>,
    phone: Option<Vec<u8>>,
    phone_nonce: Option<Vec<u8>>,
    email: Option<Vec<u8>>,
    email_nonce: Option<Vec<u8>>,
}

fn aad(id: Uuid, field: &str) -> String {
    format!("complaint:{id}:{field}")
}

/// Seals and stores the complainant of a complaint.
pub fn store(conn: &mut PgConnection, keys: &ComplaintKeys, id: Uuid, p: &Complainant) -> QueryResult<()> {
    let (key_id, name) = crypto::seal(keys, &aad(id, "name"), &p.name);
    let phone = p.phone.as_deref().map(|v| crypto::seal(keys, &aad(id, "phone"), v).1);
    let email = p.email.as_deref().map(|v| crypto::seal(keys, &aad(id, "email"), v).1);
    diesel::insert_into(complaint_complainants::table)
        .values((
            complaint_complainants::complaint_id.eq(id),
            complaint_complainants::key_id.eq(key_id),
            complaint_complainants::name.eq(name.ciphertext),
            complaint_complainants::name_nonce.eq(name.nonce),
            complaint_complainants::phone.eq(phone.as_ref().map(|s| &s.ciphertext)),
            complaint_complainants::phone_nonce.eq(phone.as_ref().map(|s| &s.nonce)),
            complaint_complainants::email.eq(email.as_ref().map(|s| &s.ciphertext)),
            complaint_complainants::email_nonce.eq(email.as_ref().map(|s| &s.nonce)),
        ))
        .execute(conn)?;
    Ok(())
}

/// Whether the complaint has a named complainant.
pub fn exists(conn: &mut PgConnection, id: Uuid) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(complaint_complainants::table.find(id))).get_result(conn)
}

/// Why the identity could not be read.
#[derive(Debug, thiserror::Error)]
pub enum RevealError {
    #[error(transparent)]
    Db(#[from] diesel::result::Error),
    #[error(transparent)]
    Open(#[from] OpenError),
}

fn open_optional(
    keys: &ComplaintKeys,
    key_id: &str,
    aad: &str,
    ciphertext: Option<Vec<u8>>,
    nonce: Option<Vec<u8>>,
) -> Result<Option<String>, OpenError> {
    match (ciphertext, nonce) {
        (Some(ciphertext), Some(nonce)) => crypto::open(keys, key_id, aad, &Sealed { ciphertext, nonce }).map(Some),
        _ => Ok(None),
    }
}

/// Opens the complainant of a complaint (`None`: anonymous) with whichever key id sealed it.
pub fn open(conn: &mut PgConnection, keys: &ComplaintKeys, id: Uuid) -> Result<Option<Complainant>, RevealError> {
    let Some(row) = complaint_complainants::table.find(id).select(SealedRow::as_select()).first(conn).optional()?
    else {
        return Ok(None);
    };
    let k = row.key_id.as_str();
    let name = crypto::open(keys, k, &aad(id, "name"), &Sealed { ciphertext: row.name, nonce: row.name_nonce })?;
    let phone = open_optional(keys, k, &aad(id, "phone"), row.phone, row.phone_nonce)?;
    let email = open_optional(keys, k, &aad(id, "email"), row.email, row.email_nonce)?;
    Ok(Some(Complainant { name, phone, email }))
}
