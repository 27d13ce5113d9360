//! What a request handler or a background job holds: the database pool, the search index, the
//! settings, the clock, metrics and the token keys. It imports no route and no page (the actix
//! application is assembled from it in `startup`).

use std::sync::Arc;

use crate::clock::Clock;
use crate::config::Settings;
use crate::crypto::jwt::JwtKeys;
use crate::db::{self, PgPool};
use crate::error::ApiResult;
use crate::metrics::Metrics;
use crate::search::SearchIndex;
use crate::search::engine::{self, SearchResponse};
use crate::search::query::SearchRequest;
use crate::search::reindex::ReindexJobs;

/// Everything a request handler or worker needs, cheap to clone.
#[derive(Clone)]
pub struct AppState {
    pub pool: PgPool,
    pub settings: Arc<Settings>,
    pub search: SearchIndex,
    pub metrics: Arc<Metrics>,
    pub clock: Clock,
    pub jwt: Arc<JwtKeys>,
    /// The reindex started from the sysadmins' page, if any (one per process).
    pub reindex_job: Arc<ReindexJobs>,
}

impl AppState {
    /// Builds the state without touching the network (connections are made on first use).
    pub fn new(settings: Settings) -> anyhow::Result<Self> {
        let pool = db::build_pool(settings.database_url(), settings.database_pool_size, settings.database_timeout);
        let search = SearchIndex::new(&settings)?;
        let jwt = Arc::new(JwtKeys::new(&settings));
        Ok(Self {
            pool,
            settings: Arc::new(settings),
            search,
            metrics: Arc::new(Metrics::new()),
            clock: Clock::default(),
            jwt,
            reindex_job: Arc::default(),
        })
    }

    /// Searches the public declarations (Meilisearch, or PostgreSQL when it does not answer),
    /// counting the answers PostgreSQL gave.
    pub async fn search(&self, req: &SearchRequest) -> ApiResult<SearchResponse> {
        let res = engine::search(&self.pool, &self.search, req).await?;
        if res.degraded {
            self.metrics.search_degraded.inc();
        }
        Ok(res)
    }
}
