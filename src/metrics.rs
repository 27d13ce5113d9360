//! Prometheus metrics: request counts and latency histograms by route and status, database pool
//! use, and outbox lag, served as text at `/metrics`.

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RequestLabels {
    pub method: String,
    pub route: String,
    pub status: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RouteLabels {
    pub method: String,
    pub route: String,
}

pub struct Metrics {
    registry: Registry,
    pub requests: Family<RequestLabels, Counter>,
    pub latency: Family<RouteLabels, Histogram>,
    pub pool_connections: Gauge,
    pub pool_idle: Gauge,
    pub pool_max: Gauge,
    pub outbox_pending: Gauge,
    pub outbox_oldest_seconds: Gauge,
    pub search_degraded: Counter,
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

/// The method as a label: the standard methods as they are, anything else `other` (actix accepts
/// any token as a method, and each would be a new series).
pub fn method_label(method: &str) -> &'static str {
    const KNOWN: [&str; 9] = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "CONNECT", "TRACE"];
    KNOWN.into_iter().find(|m| *m == method).unwrap_or("other")
}

impl Metrics {
    pub fn new() -> Self {
        let mut registry = Registry::with_prefix("stdreg");
        let requests = Family::<RequestLabels, Counter>::default();
        let latency = Family::<RouteLabels, Histogram>::new_with_constructor(|| {
            Histogram::new([0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0])
        });
        registry.register("http_requests", "HTTP requests by route and status", requests.clone());
        registry.register("http_request_duration_seconds", "HTTP request latency by route", latency.clone());
        let pool_connections = Gauge::default();
        let pool_idle = Gauge::default();
        let pool_max = Gauge::default();
        registry.register("db_pool_connections", "open database connections", pool_connections.clone());
        registry.register("db_pool_idle", "idle database connections", pool_idle.clone());
        registry.register("db_pool_max", "maximum database connections", pool_max.clone());
        let outbox_pending = Gauge::default();
        let outbox_oldest_seconds = Gauge::default();
        registry.register("outbox_pending", "search outbox rows waiting", outbox_pending.clone());
        registry.register(
            "outbox_oldest_seconds",
            "age of the oldest waiting outbox row in seconds",
            outbox_oldest_seconds.clone(),
        );
        let search_degraded = Counter::default();
        registry.register("search_degraded", "searches answered from PostgreSQL", search_degraded.clone());
        Self {
            registry,
            requests,
            latency,
            pool_connections,
            pool_idle,
            pool_max,
            outbox_pending,
            outbox_oldest_seconds,
            search_degraded,
        }
    }

    /// Counts a request. Every label comes from a fixed set, whatever the request says: the
    /// method is one of HTTP's own or `other`, the route is a registered pattern (or `unmatched`,
    /// chosen by the caller), the status is a number HTTP allows.
    pub fn observe(&self, method: &str, route: &str, status: u16, seconds: f64) {
        let method = method_label(method);
        self.requests
            .get_or_create(&RequestLabels { method: method.to_string(), route: route.to_string(), status })
            .inc();
        self.latency
            .get_or_create(&RouteLabels { method: method.to_string(), route: route.to_string() })
            .observe(seconds);
    }

    pub fn encode(&self) -> String {
        let mut out = String::new();
        if prometheus_client::encoding::text::encode(&mut out, &self.registry).is_err() {
            out.clear();
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_methods_are_one_label() {
        assert_eq!(method_label("GET"), "GET");
        assert_eq!(method_label("ANYTHING"), "other");
        assert_eq!(method_label("get"), "other");
        let m = Metrics::new();
        for method in ["A", "B", "C"] {
            m.observe(method, "/healthz", 405, 0.001);
        }
        let text = m.encode();
        assert_eq!(text.matches("method=\"other\",route=\"/healthz\",status=\"405\"").count(), 1, "{text}");
    }
}
