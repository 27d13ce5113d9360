//! `/open-data` (what can be downloaded and how) and `/api/docs` (the OpenAPI document, rendered
//! on the server so it reads without JavaScript and offline; a small script only filters it).

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, web};
use askama::Template;
use serde_json::Value;

use crate::web::i18n::Strings;
use crate::web::page::{Chrome, PageResult, render, strings};

#[derive(Template)]
#[template(path = "open_data.html")]
pub struct OpenDataPage {
    pub t: &'static Strings,
    pub chrome: Chrome,
}

pub async fn open_data(req: HttpRequest) -> PageResult {
    let t = strings(&req);
    Ok(render(StatusCode::OK, &OpenDataPage { t, chrome: Chrome::new(t, t.open_data.title, "open_data") }))
}

pub struct Param {
    pub name: String,
    pub location: String,
    pub required: bool,
    pub description: String,
}

pub struct Operation {
    pub anchor: String,
    pub method: String,
    pub path: String,
    pub summary: String,
    pub description: String,
    pub params: Vec<Param>,
    pub body: Option<String>,
    pub responses: Vec<(String, String)>,
}

pub struct Tag {
    pub name: String,
    pub description: String,
    pub operations: Vec<Operation>,
}

#[derive(Template)]
#[template(path = "api_docs.html")]
pub struct ApiDocsPage {
    pub t: &'static Strings,
    pub chrome: Chrome,
    pub title: String,
    pub version: String,
    pub tags: Vec<Tag>,
}

fn text(v: &Value) -> String {
    v.as_str().unwrap_or_default().to_string()
}

fn schema_name(v: &Value) -> Option<String> {
    let content = v.get("content")?.as_object()?;
    let (media, c) = content.iter().next()?;
    let schema = c.get("schema");
    let name = schema
        .and_then(|s| s.get("$ref"))
        .and_then(Value::as_str)
        .map(|r| r.rsplit('/').next().unwrap_or(r).to_string())
        .unwrap_or_else(|| schema.and_then(|s| s.get("type")).map(text).unwrap_or_default());
    Some(format!("{media} {name}").trim().to_string())
}

/// The operations of the document, grouped by their first tag in the document's tag order.
pub fn tags_of(doc: &Value) -> Vec<Tag> {
    let mut tags: Vec<Tag> = doc["tags"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|t| Tag { name: text(&t["name"]), description: text(&t["description"]), operations: Vec::new() })
                .collect()
        })
        .unwrap_or_default();
    let Some(paths) = doc["paths"].as_object() else { return tags };
    for (path, item) in paths {
        let Some(methods) = item.as_object() else { continue };
        for (method, op) in methods {
            if !matches!(method.as_str(), "get" | "post" | "put" | "patch" | "delete") {
                continue;
            }
            let description = text(&op["description"]);
            let summary = {
                let s = text(&op["summary"]);
                if s.is_empty() { description.lines().next().unwrap_or_default().to_string() } else { s }
            };
            let params = op["parameters"]
                .as_array()
                .map(|ps| {
                    ps.iter()
                        .map(|p| Param {
                            name: text(&p["name"]),
                            location: text(&p["in"]),
                            required: p["required"].as_bool().unwrap_or(false),
                            description: text(&p["description"]),
                        })
                        .collect()
                })
                .unwrap_or_default();
            let responses = op["responses"]
                .as_object()
                .map(|rs| rs.iter().map(|(code, r)| (code.clone(), text(&r["description"]))).collect())
                .unwrap_or_default();
            let operation = Operation {
                anchor: format!("{method}-{}", path.replace(['/', '{', '}', ':'], "-")),
                method: method.to_ascii_uppercase(),
                path: path.clone(),
                summary,
                description,
                params,
                body: op.get("requestBody").and_then(schema_name),
                responses,
            };
            let tag = op["tags"].get(0).map(text).unwrap_or_default();
            match tags.iter_mut().find(|t| t.name == tag) {
                Some(t) => t.operations.push(operation),
                None => tags.push(Tag { name: tag, description: String::new(), operations: vec![operation] }),
            }
        }
    }
    tags.retain(|t| !t.operations.is_empty());
    tags
}

pub async fn api_docs(req: HttpRequest, doc: web::Data<Value>) -> PageResult {
    let t = strings(&req);
    let page = ApiDocsPage {
        t,
        chrome: Chrome::new(t, t.api_docs.title, "open_data").with_script("api-docs.js"),
        title: text(&doc["info"]["title"]),
        version: text(&doc["info"]["version"]),
        tags: tags_of(&doc),
    };
    Ok(render(StatusCode::OK, &page))
}
