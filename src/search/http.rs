//! The HTTP client under the Meilisearch SDK.
//!
//! The SDK's own reqwest client (meilisearch-sdk 0.33, `ReaderStream`) streams every request body
//! through a buffer it first zero-fills to 8 MiB, and the chunk it sends keeps that allocation alive
//! until the request ends. Profiled under 16 search clients, the zero-filling was 46% of the
//! server's CPU, and each search in flight held 8 MiB. This client sends the serialized body as it
//! is; status handling and error parsing stay the SDK's (`parse_response`).

use async_trait::async_trait;
use futures_util::AsyncReadExt;
use meilisearch_sdk::errors::Error;
use meilisearch_sdk::request::{HttpClient, Method, parse_response};
use reqwest::header::{AUTHORIZATION, CONTENT_TYPE, HeaderMap, HeaderValue, USER_AGENT};
use serde::Serialize;
use serde::de::DeserializeOwned;

/// A reqwest client with the key in a sensitive default header.
#[derive(Clone, Debug)]
pub struct MeiliHttp {
    client: reqwest::Client,
}

impl MeiliHttp {
    pub fn new(api_key: Option<&str>) -> anyhow::Result<Self> {
        let mut headers = HeaderMap::new();
        headers.insert(USER_AGENT, HeaderValue::from_static(concat!("stdreg/", env!("CARGO_PKG_VERSION"))));
        if let Some(key) = api_key {
            let mut value = HeaderValue::from_str(&format!("Bearer {key}"))
                .map_err(|_| anyhow::anyhow!("the Meilisearch key holds characters a header cannot carry"))?;
            value.set_sensitive(true);
            headers.insert(AUTHORIZATION, value);
        }
        Ok(Self { client: reqwest::Client::builder().default_headers(headers).build()? })
    }

    async fn send<Output: DeserializeOwned>(
        &self,
        url: &str,
        verb: reqwest::Method,
        query: String,
        body: Option<Vec<u8>>,
        content_type: &str,
        expected_status_code: u16,
    ) -> Result<Output, Error> {
        let url = format!("{url}{query}");
        let mut request = self.client.request(verb, &url);
        if let Some(body) = body {
            request = request.header(CONTENT_TYPE, content_type).body(body);
        }
        let response = request.send().await?;
        let status = response.status().as_u16();
        let mut body = response.text().await?;
        if body.is_empty() {
            body = "null".to_string();
        }
        parse_response(status, expected_status_code, &body, url)
    }
}

fn verb<Q, B>(method: &Method<Q, B>) -> reqwest::Method {
    match method {
        Method::Get { .. } => reqwest::Method::GET,
        Method::Delete { .. } => reqwest::Method::DELETE,
        Method::Post { .. } => reqwest::Method::POST,
        Method::Put { .. } => reqwest::Method::PUT,
        Method::Patch { .. } => reqwest::Method::PATCH,
    }
}

#[async_trait]
impl HttpClient for MeiliHttp {
    async fn request<Query, Body, Output>(
        &self,
        url: &str,
        method: Method<Query, Body>,
        expected_status_code: u16,
    ) -> Result<Output, Error>
    where
        Query: Serialize + Send + Sync,
        Body: Serialize + Send + Sync,
        Output: DeserializeOwned + 'static + Send,
    {
        let query = yaup::to_string(method.query())?;
        let body = method.body().map(serde_json::to_vec).transpose().map_err(Error::ParseError)?;
        self.send(url, verb(&method), query, body, "application/json", expected_status_code).await
    }

    async fn stream_request<
        Query: Serialize + Send + Sync,
        Body: futures_io::AsyncRead + Send + Sync + 'static,
        Output: DeserializeOwned + 'static,
    >(
        &self,
        url: &str,
        method: Method<Query, Body>,
        content_type: &str,
        expected_status_code: u16,
    ) -> Result<Output, Error> {
        let query = yaup::to_string(method.query())?;
        let verb = verb(&method);
        let body = match method.into_body() {
            Some(reader) => {
                let mut bytes = Vec::new();
                std::pin::pin!(reader).read_to_end(&mut bytes).await.map_err(|e| Error::Other(Box::new(e)))?;
                Some(bytes)
            }
            None => None,
        };
        self.send(url, verb, query, body, content_type, expected_status_code).await
    }

    fn is_tokio(&self) -> bool {
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_key_is_a_sensitive_header_and_never_printed() {
        let http = MeiliHttp::new(Some("a-very-secret-meili-key")).expect("client");
        assert!(!format!("{http:?}").contains("a-very-secret-meili-key"));
        assert!(MeiliHttp::new(Some("line\nbreak")).is_err(), "a key that cannot be a header is refused");
    }
}
