//! Form posts: the fields as typed ([`Form`]), the inputs a page renders ([`Input`]) and the
//! service's field errors placed next to them ([`Errors`]). Inputs are named by the API's field
//! paths (`standard.number`, `products[1].name`), so an `ApiError.details` entry lands on the input
//! it concerns without a mapping table. Also a small `multipart/form-data` reader for the one file
//! upload (the full text).

use std::collections::{BTreeMap, HashMap};

use actix_web::{HttpRequest, HttpResponse, web};

use crate::error::{ApiError, Code, FieldError};
use crate::extract::read_body;
use crate::web::page::OrPage;

/// Form bodies without files are small.
const FORM_LIMIT: usize = 256 * 1024;

/// The fields of a form post, in order, as typed.
#[derive(Clone, Debug, Default)]
pub struct Form {
    pairs: Vec<(String, String)>,
    /// Where each name occurs in `pairs`: a look-up costs the same however many fields a post has
    /// (a 256 KiB body can hold 100,000 of them, and a page looks up thousands).
    index: HashMap<String, Vec<usize>>,
}

/// The rows of a repeated group as posted: row index -> (column -> value), the first value of
/// each cell, and whether some field of the group named a row that is not a number below the
/// bound (the post has too many rows).
pub struct GroupRows {
    pub rows: BTreeMap<usize, HashMap<String, String>>,
    pub over_bound: bool,
}

impl Form {
    /// Reads an URL-encoded body; malformed or oversized bodies are error pages.
    pub async fn read(req: &HttpRequest, mut payload: web::Payload) -> Result<Form, HttpResponse> {
        let bytes = read_body(req, &mut payload, FORM_LIMIT).await.or_page(req).map_err(|e| e.into_page())?;
        Ok(Self::parse(&bytes))
    }

    /// Reads a form posted without a session (sign-in, sign-out, registration) and checks its
    /// CSRF token against the cookie-bound one; a missing or wrong token is the 403 page.
    pub async fn read_checked(
        req: &HttpRequest,
        payload: web::Payload,
        ws: &crate::web::WebState,
    ) -> Result<Form, HttpResponse> {
        let form = Self::read(req, payload).await?;
        if !ws.csrf.verify(req, form.opt("csrf_token").as_deref()) {
            return Err(crate::web::page::csrf_refused(req));
        }
        Ok(form)
    }

    pub fn parse(bytes: &[u8]) -> Form {
        Self::from_pairs(url::form_urlencoded::parse(bytes).into_owned().collect())
    }

    pub fn from_pairs(pairs: Vec<(String, String)>) -> Form {
        let mut form = Form { pairs, index: HashMap::new() };
        form.reindex();
        form
    }

    fn reindex(&mut self) {
        self.index.clear();
        for (i, (k, _)) in self.pairs.iter().enumerate() {
            self.index.entry(k.clone()).or_default().push(i);
        }
    }

    fn values(&self, name: &str) -> impl Iterator<Item = &str> {
        self.index.get(name).into_iter().flatten().map(|&i| self.pairs[i].1.as_str())
    }

    /// The value as typed ("" when absent).
    pub fn get(&self, name: &str) -> String {
        self.values(name).next().unwrap_or_default().to_string()
    }

    /// The trimmed value, `None` when absent or blank.
    pub fn opt(&self, name: &str) -> Option<String> {
        self.values(name).next().map(|v| v.trim().to_string()).filter(|v| !v.is_empty())
    }

    /// Whether a checkbox was ticked (or a button with this name pressed).
    pub fn has(&self, name: &str) -> bool {
        self.values(name).any(|v| !v.is_empty())
    }

    /// Every value of a repeated field (checkbox groups).
    pub fn all(&self, name: &str) -> Vec<String> {
        self.values(name).map(|v| v.trim().to_string()).collect()
    }

    /// The rows of a repeated group (`products[3].name`: row 3, column `name`), in one pass over
    /// the posted fields: only the indices actually posted are visited, never those in between.
    /// A row index that is not a number below `max` sets `over_bound` and is left out.
    pub fn group_rows(&self, group: &str, max: usize) -> GroupRows {
        let prefix = format!("{group}[");
        let mut out = GroupRows { rows: BTreeMap::new(), over_bound: false };
        for (k, v) in &self.pairs {
            let Some(rest) = k.strip_prefix(&prefix) else { continue };
            let row = rest.split_once("].").and_then(|(i, col)| {
                let digits = !i.is_empty() && i.len() <= 9 && i.bytes().all(|b| b.is_ascii_digit());
                digits.then(|| i.parse::<usize>().ok().map(|i| (i, col))).flatten()
            });
            match row {
                Some((i, col)) if i < max => {
                    out.rows.entry(i).or_default().entry(col.to_string()).or_insert_with(|| v.clone());
                }
                _ => out.over_bound = true,
            }
        }
        out
    }

    /// The number of rows of a group whose indices run from 0 (a form filled by the server or
    /// compacted): one more than the largest index, or 0.
    pub fn rows(&self, group: &str) -> usize {
        self.group_rows(group, usize::MAX).rows.keys().next_back().map_or(0, |i| i + 1)
    }

    pub fn set(&mut self, name: &str, value: impl Into<String>) {
        let value = value.into();
        match self.index.get(name).and_then(|v| v.first()) {
            Some(&i) => self.pairs[i].1 = value,
            None => {
                self.index.insert(name.to_string(), vec![self.pairs.len()]);
                self.pairs.push((name.to_string(), value));
            }
        }
    }

    /// Drops every field of a group (rows are rewritten after compaction).
    pub fn remove_group(&mut self, group: &str) {
        let prefix = format!("{group}[");
        self.pairs.retain(|(k, _)| !k.starts_with(&prefix));
        self.reindex();
    }
}

/// An HTML id for a field path (`products[1].name` -> `f-products-1-name`).
pub fn field_id(path: &str) -> String {
    let mut id = String::from("f-");
    let mut dash = false;
    for ch in path.chars() {
        if ch.is_ascii_alphanumeric() || ch == '_' {
            id.push(ch);
            dash = false;
        } else if !dash {
            id.push('-');
            dash = true;
        }
    }
    id.trim_end_matches('-').to_string()
}

/// The service's field errors of one submission.
#[derive(Clone, Debug, Default)]
pub struct Errors {
    list: Vec<FieldError>,
}

impl Errors {
    pub fn new(list: Vec<FieldError>) -> Self {
        Self { list }
    }

    /// The details of a validation error, or the message on a field when there are none.
    pub fn from_api(e: &ApiError, fallback_field: &str) -> Self {
        if e.details.is_empty() {
            Self { list: vec![FieldError::new(fallback_field, e.message.to_string())] }
        } else {
            Self { list: e.details.clone() }
        }
    }

    pub fn is_empty(&self) -> bool {
        self.list.is_empty()
    }

    /// The message for a field path, if any.
    pub fn of(&self, path: &str) -> Option<String> {
        let msgs: Vec<&str> = self.list.iter().filter(|e| e.field == path).map(|e| e.message.as_str()).collect();
        (!msgs.is_empty()).then(|| msgs.join("；"))
    }

    /// The messages for a list field and its items (`cited_standards`, `cited_standards[2]`), the
    /// items numbered by line, for a textarea that holds the list one per line.
    pub fn of_list(&self, path: &str) -> Option<String> {
        let msgs: Vec<String> = self
            .list
            .iter()
            .filter_map(|e| {
                if e.field == path {
                    return Some(e.message.clone());
                }
                let index = e.field.strip_prefix(path)?.strip_prefix('[')?.strip_suffix(']')?.parse::<usize>().ok()?;
                Some(format!("第 {} 行：{}", index + 1, e.message))
            })
            .collect();
        (!msgs.is_empty()).then(|| msgs.join("；"))
    }

    /// Every problem as (anchor id, words) for the summary at the top of the form; `labels` names
    /// the fields (unknown paths are shown as they are).
    pub fn summary(&self, label: impl Fn(&str) -> String) -> Vec<(String, String)> {
        self.list.iter().map(|e| (field_id(&e.field), format!("{}：{}", label(&e.field), e.message))).collect()
    }
}

/// One form control as a page renders it (see `templates/console/input.html`).
#[derive(Clone, Debug, Default)]
pub struct Input {
    /// The field path, also the `name`.
    pub name: String,
    pub id: String,
    pub label: String,
    pub value: String,
    /// `text`, `email`, `password`, `date`, `number`, `textarea`, `select`, `checkbox`
    pub kind: &'static str,
    pub hint: Option<String>,
    pub error: Option<String>,
    pub required: bool,
    pub checked: bool,
    /// (value, label) of a select.
    pub options: Vec<(String, String)>,
    pub autocomplete: &'static str,
    /// Marks the standard number input for the catalogue look-up script.
    pub lookup: bool,
    /// A CSS class on the wrapper (`narrow`, `wide`).
    pub class: &'static str,
    pub maxlength: usize,
}

impl Input {
    pub fn new(kind: &'static str, name: &str, label: impl Into<String>, form: &Form, errors: &Errors) -> Self {
        Self {
            name: name.to_string(),
            id: field_id(name),
            label: label.into(),
            value: form.get(name),
            kind,
            error: errors.of(name),
            checked: form.has(name),
            autocomplete: "off",
            maxlength: 2000,
            ..Self::default()
        }
    }

    pub fn text(name: &str, label: impl Into<String>, form: &Form, errors: &Errors) -> Self {
        Self::new("text", name, label, form, errors)
    }

    pub fn hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }

    pub fn required(mut self) -> Self {
        self.required = true;
        self
    }

    pub fn options(mut self, options: Vec<(String, String)>) -> Self {
        self.options = options;
        self
    }

    pub fn class(mut self, class: &'static str) -> Self {
        self.class = class;
        self
    }

    pub fn max(mut self, n: usize) -> Self {
        self.maxlength = n;
        self
    }

    pub fn autocomplete(mut self, a: &'static str) -> Self {
        self.autocomplete = a;
        self
    }

    pub fn lookup(mut self) -> Self {
        self.lookup = true;
        self
    }

    /// The ids that describe the control: its hint and its error.
    pub fn described_by(&self) -> String {
        let mut ids = Vec::new();
        if self.hint.is_some() {
            ids.push(format!("{}-hint", self.id));
        }
        if self.error.is_some() {
            ids.push(format!("{}-err", self.id));
        }
        ids.join(" ")
    }

    pub fn is_selected(&self, value: &str) -> bool {
        self.value == value
    }
}

// ---------------------------------------------------------------- multipart

/// One part of a `multipart/form-data` body.
pub struct Part {
    pub name: String,
    pub filename: Option<String>,
    pub data: Vec<u8>,
}

fn find(hay: &[u8], needle: &[u8], from: usize) -> Option<usize> {
    if needle.is_empty() || hay.len() < needle.len() {
        return None;
    }
    (from..=hay.len() - needle.len()).find(|&i| &hay[i..i + needle.len()] == needle)
}

fn header_param(line: &str, key: &str) -> Option<String> {
    let pat = format!("{key}=\"");
    let start = line.find(&pat)? + pat.len();
    let end = line[start..].find('"')? + start;
    Some(line[start..end].to_string())
}

/// Splits a `multipart/form-data` body into its parts (RFC 7578): text fields and files alike.
pub fn parse_multipart(content_type: &str, body: &[u8]) -> Result<Vec<Part>, ApiError> {
    let bad = || ApiError::new(Code::BadRequest, "上传内容无法解析");
    let boundary = content_type
        .split(';')
        .map(str::trim)
        .find_map(|p| p.strip_prefix("boundary="))
        .map(|b| b.trim_matches('"').to_string())
        .filter(|b| !b.is_empty() && b.len() <= 200)
        .ok_or_else(bad)?;
    let delim = format!("--{boundary}").into_bytes();
    let mut parts = Vec::new();
    let mut pos = find(body, &delim, 0).ok_or_else(bad)? + delim.len();
    loop {
        if body.get(pos..pos + 2) == Some(b"--") {
            return Ok(parts);
        }
        let head_start = pos + 2; // CRLF after the delimiter
        let head_end = find(body, b"\r\n\r\n", head_start).ok_or_else(bad)?;
        let head = String::from_utf8_lossy(&body[head_start..head_end]).to_string();
        let data_start = head_end + 4;
        let mut next_delim = b"\r\n".to_vec();
        next_delim.extend_from_slice(&delim);
        let data_end = find(body, &next_delim, data_start).ok_or_else(bad)?;
        let disposition =
            head.lines().find(|l| l.to_ascii_lowercase().starts_with("content-disposition:")).ok_or_else(bad)?;
        let name = header_param(disposition, "name").ok_or_else(bad)?;
        let filename = header_param(disposition, "filename");
        parts.push(Part { name, filename, data: body[data_start..data_end].to_vec() });
        pos = data_end + next_delim.len();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_and_errors() {
        assert_eq!(field_id("products[1].name"), "f-products-1-name");
        assert_eq!(field_id("standard.number"), "f-standard-number");
        let e =
            Errors::new(vec![FieldError::new("products[1].name", "必填"), FieldError::new("products[1].name", "太长")]);
        assert_eq!(e.of("products[1].name").as_deref(), Some("必填；太长"));
        assert!(e.of("products[0].name").is_none());
    }

    #[test]
    fn form_rows_and_values() {
        let f = Form::parse(b"products%5B0%5D.name=a&products%5B2%5D.name=&x=+1+&c=on");
        assert_eq!(f.rows("products"), 3);
        let g = f.group_rows("products", 500);
        assert_eq!(g.rows.keys().copied().collect::<Vec<_>>(), vec![0, 2]);
        assert_eq!(g.rows[&0]["name"], "a");
        assert!(!g.over_bound);
        for bad in ["products[500].name=x", "products[+1].name=x", "products[x].name=x", "products[1]=x"] {
            let g = Form::parse(bad.as_bytes()).group_rows("products", 500);
            assert!(g.over_bound && g.rows.is_empty(), "{bad}");
        }
        assert_eq!(f.get("x"), " 1 ");
        assert_eq!(f.opt("x").as_deref(), Some("1"));
        assert!(f.has("c") && !f.has("products[2].name"));
    }

    #[test]
    fn multipart_text_and_file() {
        let body = b"--XyZ\r\nContent-Disposition: form-data; name=\"csrf_token\"\r\n\r\nabc\r\n--XyZ\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.pdf\"\r\nContent-Type: application/pdf\r\n\r\n%PDF-1.4\r\n\r\nx\r\n--XyZ--\r\n";
        let parts = parse_multipart("multipart/form-data; boundary=XyZ", body).expect("parts");
        assert_eq!(parts.len(), 2);
        assert_eq!(parts[0].name, "csrf_token");
        assert_eq!(parts[0].data, b"abc");
        assert_eq!(parts[1].filename.as_deref(), Some("a.pdf"));
        assert_eq!(parts[1].data, b"%PDF-1.4\r\n\r\nx");
        assert!(parse_multipart("multipart/form-data", body).is_err());
        assert!(parse_multipart("multipart/form-data; boundary=QQ", body).is_err());
    }
}
