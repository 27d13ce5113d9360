//! The service's notion of "now". Production reads the system clock; tests shift it forward to
//! exercise deadlines and overdue jobs without waiting.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use chrono::{DateTime, Duration, NaiveDate, Utc};

#[derive(Clone, Debug, Default)]
pub struct Clock {
    offset_secs: Arc<AtomicI64>,
}

impl Clock {
    pub fn now(&self) -> DateTime<Utc> {
        Utc::now() + Duration::seconds(self.offset_secs.load(Ordering::Relaxed))
    }

    pub fn today(&self) -> NaiveDate {
        // Deadlines and dates are those of China Standard Time (UTC+8, no daylight saving).
        (self.now() + Duration::hours(8)).date_naive()
    }

    /// Moves the clock forward (tests and drills only).
    pub fn advance(&self, by: Duration) {
        self.offset_secs.fetch_add(by.num_seconds(), Ordering::Relaxed);
    }
}
