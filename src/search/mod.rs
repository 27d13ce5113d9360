//! The public search index: Meilisearch, with its settings from `search-config/declarations.json`,
//! fed by the outbox worker; and the PostgreSQL fallback used when Meilisearch does not answer.

pub mod documents;
pub mod engine;
pub mod http;
pub mod query;
pub mod reindex;
pub mod sync;

use std::collections::BTreeSet;
use std::time::Duration;

use meilisearch_sdk::client::Client;
use meilisearch_sdk::settings::Settings as IndexSettings;
use secrecy::ExposeSecret;

use crate::config::Settings;

/// The index settings as shipped (Meilisearch's own JSON shape).
pub const DECLARATIONS_SETTINGS_JSON: &str = include_str!("../../search-config/declarations.json");

/// Index base name; the configured prefix is put in front.
pub const DECLARATIONS: &str = "declarations";

/// How long to wait for an indexing task before giving up on it.
pub const TASK_TIMEOUT: Duration = Duration::from_secs(120);

/// A handle on the Meilisearch side of search.
#[derive(Clone)]
pub struct SearchIndex {
    pub client: Client<http::MeiliHttp>,
    prefix: String,
    /// A search slower than this falls back to PostgreSQL.
    pub timeout: Duration,
}

impl SearchIndex {
    pub fn new(settings: &Settings) -> anyhow::Result<Self> {
        let key = settings.meili_key.as_ref().map(|k| k.expose_secret().to_string());
        let url = settings.meili_url.as_str().trim_end_matches('/').to_string();
        let http = http::MeiliHttp::new(key.as_deref()).map_err(|e| anyhow::anyhow!("Meilisearch client: {e}"))?;
        let client = Client::new_with_client(url, key, http);
        Ok(Self { client, prefix: settings.meili_index_prefix.clone(), timeout: settings.meili_timeout })
    }

    /// The uid of the live declarations index.
    pub fn declarations_uid(&self) -> String {
        format!("{}{}", self.prefix, DECLARATIONS)
    }

    /// Whether Meilisearch answers its health check within the search timeout.
    pub async fn healthy(&self) -> bool {
        matches!(tokio::time::timeout(self.timeout, self.client.health()).await, Ok(Ok(h)) if h.status == "available")
    }

    /// The settings the index must have.
    pub fn desired_settings() -> anyhow::Result<IndexSettings> {
        serde_json::from_str(DECLARATIONS_SETTINGS_JSON)
            .map_err(|e| anyhow::anyhow!("search-config/declarations.json: {e}"))
    }

    /// Creates the index when missing and applies the shipped settings when they drifted.
    /// Returns whether settings were (re)applied.
    pub async fn ensure_index(&self, uid: &str) -> anyhow::Result<bool> {
        let desired = Self::desired_settings()?;
        let index = match self.client.get_index(uid).await {
            Ok(index) => index,
            Err(meilisearch_sdk::errors::Error::Meilisearch(e))
                if e.error_code == meilisearch_sdk::errors::ErrorCode::IndexNotFound =>
            {
                self.client
                    .create_index(uid, Some("id"))
                    .await?
                    .wait_for_completion(&self.client, None, Some(TASK_TIMEOUT))
                    .await?;
                self.client.index(uid)
            }
            Err(e) => return Err(e.into()),
        };
        let mut applied = false;
        let current = index.get_settings().await?;
        if !settings_match(&desired, &current) {
            let task =
                index.set_settings(&desired).await?.wait_for_completion(&self.client, None, Some(TASK_TIMEOUT)).await?;
            if task.is_failure() {
                anyhow::bail!("applying search settings failed: {:?}", task.unwrap_failure());
            }
            applied = true;
        }
        // Not in the SDK's settings object, so set on its own route.
        if let Some(want) = desired_facet_search()?
            && index.get_facet_search().await? != want
        {
            tracing::info!(setting = "facetSearch", "search settings drifted");
            let task =
                index.set_facet_search(want).await?.wait_for_completion(&self.client, None, Some(TASK_TIMEOUT)).await?;
            if task.is_failure() {
                anyhow::bail!("applying facetSearch failed: {:?}", task.unwrap_failure());
            }
            applied = true;
        }
        Ok(applied)
    }
}

/// `facetSearch` of the shipped settings, if it sets one.
fn desired_facet_search() -> anyhow::Result<Option<bool>> {
    let v: serde_json::Value = serde_json::from_str(DECLARATIONS_SETTINGS_JSON)
        .map_err(|e| anyhow::anyhow!("search-config/declarations.json: {e}"))?;
    Ok(v.get("facetSearch").and_then(serde_json::Value::as_bool))
}

fn sorted<T: Ord + Clone>(v: &Option<Vec<T>>) -> Option<BTreeSet<T>> {
    v.as_ref().map(|v| v.iter().cloned().collect())
}

/// Compares the settings we care about: everything the shipped file sets, and for objects only the
/// keys it sets (Meilisearch reports defaults for the others).
pub fn settings_match(desired: &IndexSettings, current: &IndexSettings) -> bool {
    let json = |s: &IndexSettings| serde_json::to_value(s).unwrap_or_default();
    let d = json(desired);
    let c = json(current);
    let set_like = ["filterableAttributes", "sortableAttributes", "stopWords"];
    let Some(dmap) = d.as_object() else { return false };
    for (key, want) in dmap {
        let have = &c[key.as_str()];
        let equal = if set_like.contains(&key.as_str()) {
            let a: Option<Vec<String>> = serde_json::from_value(want.clone()).ok();
            let b: Option<Vec<String>> = serde_json::from_value(have.clone()).ok();
            sorted(&a) == sorted(&b)
        } else if key == "synonyms" {
            normalize_synonyms(want) == normalize_synonyms(have)
        } else {
            subset_eq(&normalize_typo(want), &normalize_typo(have))
        };
        if !equal {
            tracing::info!(setting = %key, "search settings drifted");
            return false;
        }
    }
    true
}

/// Objects: every key of `want` equal in `have`; anything else: equality.
fn subset_eq(want: &serde_json::Value, have: &serde_json::Value) -> bool {
    match (want, have) {
        (serde_json::Value::Object(w), serde_json::Value::Object(h)) => {
            w.iter().all(|(k, v)| h.get(k).is_some_and(|hv| subset_eq(v, hv)))
        }
        _ => want == have,
    }
}

fn normalize_synonyms(v: &serde_json::Value) -> BTreeSet<(String, BTreeSet<String>)> {
    v.as_object()
        .map(|m| {
            m.iter()
                .map(|(k, vs)| {
                    let set = vs
                        .as_array()
                        .map(|a| a.iter().filter_map(|x| x.as_str().map(String::from)).collect())
                        .unwrap_or_default();
                    (k.clone(), set)
                })
                .collect()
        })
        .unwrap_or_default()
}

fn normalize_typo(v: &serde_json::Value) -> serde_json::Value {
    let mut v = v.clone();
    for key in ["disableOnWords", "disableOnAttributes"] {
        if let Some(arr) = v.get_mut(key).and_then(|a| a.as_array_mut()) {
            arr.sort_by_key(|a| a.to_string());
        }
    }
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shipped_settings_parse_and_keep_every_key() {
        let parsed = SearchIndex::desired_settings().expect("parses");
        let file: serde_json::Value = serde_json::from_str(DECLARATIONS_SETTINGS_JSON).expect("json");
        let back = serde_json::to_value(&parsed).expect("serializes");
        for key in file.as_object().expect("object").keys() {
            if file[key].is_null() || key == "facetSearch" {
                continue;
            }
            assert!(back.get(key).is_some(), "setting {key} is dropped by the SDK type");
        }
        // facetSearch is applied on its own route (the SDK's settings object has no field for it).
        assert_eq!(desired_facet_search().expect("parses"), Some(false));
        assert!(settings_match(&parsed, &parsed));
        let synonyms = parsed.synonyms.expect("synonyms");
        assert!(synonyms["锂电池"].contains(&"锂离子电池".to_string()));
        assert!(synonyms["锂离子电池"].contains(&"锂电池".to_string()));
    }
}
