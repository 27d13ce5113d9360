//! Open data: the streaming export of published declarations.

use actix_web::web::Bytes;
use actix_web::{HttpResponse, get, web};
use chrono::{DateTime, NaiveDate, Utc};
use futures_util::Stream;
use serde::Deserialize;

use crate::db::{self, PgPool};
use crate::error::{ApiError, ApiResult};
use crate::extract::Query;
use crate::services::export::{self, Cursor, Format};
use crate::state::AppState;

#[derive(Deserialize, Clone, Copy, Debug, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum ExportFormat {
    Ndjson,
    Csv,
}

#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct ExportQuery {
    /// `ndjson` (default; one JSON object per line) or `csv` (UTF-8 with BOM, for spreadsheets).
    pub format: Option<ExportFormat>,
    /// Only declarations changed at or after this time: RFC 3339 (`2026-01-01T00:00:00Z`) or a date
    /// (`2026-01-01`, from 00:00 China time).
    pub updated_since: Option<String>,
}

/// Parses `updated_since`.
pub fn parse_since(raw: &str) -> ApiResult<DateTime<Utc>> {
    let raw = raw.trim();
    if let Ok(t) = DateTime::parse_from_rfc3339(raw) {
        return Ok(t.with_timezone(&Utc));
    }
    if let Ok(d) = NaiveDate::parse_from_str(raw, "%Y-%m-%d") {
        return Ok(crate::clock::china_midnight(d));
    }
    Err(ApiError::bad_param("updated_since", "应为 RFC 3339 时间（如 2026-01-01T00:00:00Z）或日期 YYYY-MM-DD"))
}

enum Step {
    Start,
    After(Option<Cursor>),
    Done,
}

/// The export as a stream of chunks: the preamble, then one chunk per keyset page. A database
/// failure mid-way ends the stream with an error, so the client sees a truncated transfer rather
/// than a silently short file.
pub fn export_stream(
    pool: PgPool,
    format: Format,
    since: Option<DateTime<Utc>>,
    page_size: i64,
) -> impl Stream<Item = Result<Bytes, std::io::Error>> + 'static {
    futures_util::stream::unfold(Step::Start, move |step| {
        let pool = pool.clone();
        async move {
            match step {
                Step::Done => None,
                Step::Start => Some((Ok(Bytes::from(export::preamble(format))), Step::After(None))),
                Step::After(cursor) => {
                    let page = db::run(&pool, move |conn| Ok(export::page(conn, since, cursor, page_size)?)).await;
                    match page {
                        Ok(records) if records.is_empty() => None,
                        Ok(records) => {
                            let last = records.last().map(|r| Cursor { updated_at: r.updated_at, id: r.id });
                            let next = if (records.len() as i64) < page_size { Step::Done } else { Step::After(last) };
                            Some((Ok(Bytes::from(export::render(format, &records))), next))
                        }
                        Err(e) => {
                            tracing::error!(error = %e, "export failed mid-stream");
                            Some((Err(std::io::Error::other(e.to_string())), Step::Done))
                        }
                    }
                }
            }
        }
    })
}

/// Every published declaration (in force, withdrawn or abolished) at its current public version,
/// with products, indicators and active flags, streamed in `updated_at` order. Never contains
/// confidential data (contacts, addresses, users, drafts, complainants). For incremental copies pass
/// the largest `updated_at` you hold minus a few minutes; a declaration changed during an export may
/// appear twice (the later line is newer), so key by `id`.
#[utoipa::path(tag = "open data", params(ExportQuery), responses(
    (status = 200, description = "NDJSON: one ExportRecord per line; CSV: the same fields flattened, UTF-8 with BOM",
     content_type = "application/x-ndjson", body = export::ExportRecord),
    (status = 400)))]
#[get("/export/declarations")]
pub async fn export_declarations(state: web::Data<AppState>, q: Query<ExportQuery>) -> ApiResult<HttpResponse> {
    let q = q.0;
    let since = q.updated_since.as_deref().filter(|s| !s.trim().is_empty()).map(parse_since).transpose()?;
    let format = match q.format.unwrap_or(ExportFormat::Ndjson) {
        ExportFormat::Ndjson => Format::Ndjson,
        ExportFormat::Csv => Format::Csv,
    };
    let stamp = state.clock.today().format("%Y%m%d");
    let (content_type, file) = match format {
        Format::Ndjson => ("application/x-ndjson; charset=utf-8", format!("declarations-{stamp}.ndjson")),
        Format::Csv => ("text/csv; charset=utf-8", format!("declarations-{stamp}.csv")),
    };
    Ok(HttpResponse::Ok()
        .content_type(content_type)
        .insert_header(("Content-Disposition", format!("attachment; filename=\"{file}\"")))
        .streaming(export_stream(state.pool.clone(), format, since, export::PAGE_SIZE)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn updated_since_takes_rfc3339_or_a_china_date() {
        let t = parse_since("2026-01-01T08:00:00+08:00").expect("rfc3339");
        assert_eq!(t.to_rfc3339(), "2026-01-01T00:00:00+00:00");
        let d = parse_since("2026-01-01").expect("date");
        assert_eq!(d.to_rfc3339(), "2025-12-31T16:00:00+00:00");
        for bad in ["yesterday", "2026-13-01", "2026/01/01", "1700000000"] {
            assert!(parse_since(bad).is_err(), "{bad}");
        }
    }
}
