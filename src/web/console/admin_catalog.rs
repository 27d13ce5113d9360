//! The sysadmins' catalogue page: upload one or more catalogue files (CSV in UTF-8 or GB18030, or
//! XLSX), see the preview — the same report as `stdreg catalog standards --dry-run` — and apply it
//! on confirmation. The uploaded files are kept in the content-addressed blob store between the
//! preview and the confirmation, so the confirmation loads exactly the files previewed (checked
//! again as they are applied). Every applied load is one audit event with its counts.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;

use super::form::parse_multipart;
use super::{AdminUser, Ctx};
use crate::db;
use crate::error::{ApiError, Code};
use crate::files::BlobStore;
use crate::services::catalog::{self, LoadFile, LoadReport};
use crate::web::i18n::Strings;
use crate::web::page::Chrome;

/// Lines of a list shown on the page before "and N more".
const SHOWN: usize = 200;

#[derive(Template)]
#[template(path = "console/admin_catalog.html")]
pub struct CatalogPage {
    pub t: &'static Strings,
    pub chrome: Chrome,
    pub csrf: String,
    pub report: Option<ReportView>,
    /// `sha256|name` of the previewed files, for the confirmation.
    pub files: Vec<String>,
    pub error: Option<String>,
}

/// The report as the page shows it.
pub struct ReportView {
    pub applied: bool,
    pub refused_any: bool,
    pub files: Vec<String>,
    pub counts: Vec<(&'static str, usize)>,
    pub refused: Vec<String>,
    pub changed: Vec<String>,
    pub added: Vec<String>,
    pub status_changes: Vec<String>,
    pub more: Vec<String>,
}

fn view(t: &'static Strings, r: &LoadReport) -> ReportView {
    let c = &t.console;
    let mut more = Vec::new();
    let mut cut = |what: &str, total: usize| {
        if total > SHOWN {
            more.push(t.fill(c.catalog_more, &[&what, &(total - SHOWN)]));
        }
    };
    cut(c.catalog_changed, r.changed.len());
    cut(c.catalog_added, r.added.len());
    cut(c.catalog_status_changes, r.status_changes.len());
    ReportView {
        applied: r.applied,
        refused_any: !r.refused.is_empty(),
        files: r.files.iter().map(|f| format!("{}：{} {}，{} 行", f.file, f.format, f.encoding, f.rows)).collect(),
        counts: vec![
            (c.catalog_added, r.added.len()),
            (c.catalog_changed, r.changed.len()),
            (c.catalog_unchanged, r.unchanged),
            (c.catalog_refused, r.refused.len()),
            (c.catalog_status_changes, r.status_changes.len()),
            (c.catalog_affected, r.declarations_affected),
        ],
        refused: r
            .refused
            .iter()
            .map(|x| {
                let place = if x.line == 0 { x.file.clone() } else { format!("{} 第 {} 行", x.file, x.line) };
                format!("{place}{}：{}", x.number.as_ref().map(|n| format!("（{n}）")).unwrap_or_default(), x.reason)
            })
            .collect(),
        changed: r.changed.iter().take(SHOWN).map(|x| format!("{}：{}", x.number, x.fields.join("、"))).collect(),
        added: r.added.iter().take(SHOWN).cloned().collect(),
        status_changes: r
            .status_changes
            .iter()
            .take(SHOWN)
            .map(|s| {
                let from = s.status_from.map_or(c.catalog_new_row, |f| f.label_zh());
                let repl = if s.replaced_by.is_empty() {
                    String::new()
                } else {
                    format!("，{} {}", t.decl.notice_replacement, s.replaced_by.join("、"))
                };
                format!("{} {}：{from} → {}{repl}", s.standard, s.title, s.status_to.label_zh())
            })
            .collect(),
        more,
    }
}

fn page(ctx: &Ctx, report: Option<&LoadReport>, files: Vec<String>, error: Option<String>) -> HttpResponse {
    let t = ctx.t;
    let status = if error.is_some() || report.is_some_and(|r| !r.refused.is_empty()) {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    let p = CatalogPage {
        t,
        chrome: ctx.chrome(t.console.catalog_title, "catalog"),
        csrf: ctx.csrf.clone(),
        report: report.map(|r| view(t, r)),
        files,
        error,
    };
    ctx.page(status, &p)
}

pub async fn catalog_page(ctx: AdminUser) -> HttpResponse {
    page(&ctx, None, Vec::new(), None)
}

async fn run_load(ctx: &Ctx, files: Vec<LoadFile>, dry_run: bool) -> Result<LoadReport, ApiError> {
    let (now, today) = (ctx.state.clock.now(), ctx.state.clock.today());
    let actor = crate::audit::AuditActor::of(&ctx.actor());
    db::run(&ctx.state.pool, move |conn| catalog::load(conn, now, today, &actor, &files, dry_run)).await
}

/// Uploads the files into the blob store and previews the load.
pub async fn preview(ctx: AdminUser, mut payload: web::Payload) -> HttpResponse {
    let req = ctx.req.clone();
    let bytes = match crate::extract::read_body(&req, &mut payload, crate::extract::UPLOAD_LIMIT).await {
        Ok(b) => b,
        Err(e) => return ctx.error(e),
    };
    let ct = req.headers().get("content-type").and_then(|v| v.to_str().ok()).unwrap_or("").to_string();
    let parts = match parse_multipart(&ct, &bytes) {
        Ok(p) => p,
        Err(e) => return ctx.error(e),
    };
    let token = parts.iter().find(|p| p.name == "csrf_token").map(|p| String::from_utf8_lossy(&p.data).to_string());
    if !ctx.ws.csrf.verify(&req, token.as_deref()) {
        return crate::web::page::csrf_refused(&req);
    }
    let uploads: Vec<(String, Vec<u8>)> = parts
        .into_iter()
        .filter(|p| p.name == "files" && !p.data.is_empty())
        .map(|p| (clean_name(p.filename.as_deref().unwrap_or("catalogue.csv")), p.data))
        .collect();
    if uploads.is_empty() {
        return page(&ctx, None, Vec::new(), Some(ctx.t.console.catalog_no_file.to_string()));
    }
    let store = BlobStore::new(&ctx.state.settings.data_dir);
    let for_store = uploads.clone();
    let stored = crate::blocking::run(move || {
        for_store
            .iter()
            .map(|(name, data)| store.put(data).map(|(sha, _)| format!("{sha}|{name}")).map_err(ApiError::internal))
            .collect::<Result<Vec<String>, ApiError>>()
    })
    .await;
    let keys = match stored {
        Ok(k) => k,
        Err(e) => return ctx.error(e),
    };
    let files = uploads.into_iter().map(|(name, bytes)| LoadFile { name, bytes }).collect();
    match run_load(&ctx, files, true).await {
        Ok(r) => {
            let keys = if r.refused.is_empty() { keys } else { Vec::new() };
            page(&ctx, Some(&r), keys, None)
        }
        Err(e) => ctx.error(e),
    }
}

/// A file name safe to show and to record as the rows' source.
fn clean_name(name: &str) -> String {
    let base = name.rsplit(['/', '\\']).next().unwrap_or(name);
    let s: String = base.chars().filter(|c| !c.is_control() && *c != '|').take(100).collect();
    if s.trim().is_empty() { "catalogue.csv".into() } else { s }
}

/// Applies the previewed files.
pub async fn apply(ctx: AdminUser, payload: web::Payload) -> HttpResponse {
    let form = match ctx.form(payload).await {
        Ok(f) => f,
        Err(res) => return res,
    };
    let keys = form.all("file");
    let mut wanted = Vec::new();
    for k in &keys {
        match k.split_once('|') {
            Some((sha, name)) if sha.len() == 64 && sha.bytes().all(|b| b.is_ascii_hexdigit()) => {
                wanted.push((sha.to_ascii_lowercase(), clean_name(name)))
            }
            _ => return ctx.error(ApiError::new(Code::BadRequest, ctx.t.console.catalog_no_file)),
        }
    }
    if wanted.is_empty() {
        return page(&ctx, None, Vec::new(), Some(ctx.t.console.catalog_no_file.to_string()));
    }
    let store = BlobStore::new(&ctx.state.settings.data_dir);
    let read = crate::blocking::run(move || {
        wanted
            .into_iter()
            .map(|(sha, name)| {
                store
                    .read(&sha)
                    .map(|bytes| LoadFile { name, bytes })
                    .map_err(|_| ApiError::new(Code::BadRequest, "上传的文件已不存在，请重新上传"))
            })
            .collect::<Result<Vec<_>, ApiError>>()
    })
    .await;
    let files = match read {
        Ok(f) => f,
        Err(e) => return ctx.error(e),
    };
    match run_load(&ctx, files, false).await {
        Ok(r) => page(&ctx, Some(&r), Vec::new(), None),
        Err(e) => ctx.error(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uploaded_names_are_cleaned() {
        assert_eq!(clean_name("C:\\exports\\国家标准.xlsx"), "国家标准.xlsx");
        assert_eq!(clean_name("../../etc/passwd"), "passwd");
        assert_eq!(clean_name("a|b\n.csv"), "ab.csv");
        assert_eq!(clean_name(""), "catalogue.csv");
    }
}
