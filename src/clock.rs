//! The service's notion of "now", and China Standard Time. Production reads the system clock;
//! tests shift it forward to exercise deadlines and overdue jobs without waiting.
//!
//! Dates (standard years, working-day deadlines, date filters, the dates pages show) are those of
//! China Standard Time, UTC+8 without daylight saving: [`CHINA`] is the one place that says so.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use chrono::{DateTime, Duration, FixedOffset, NaiveDate, Utc};

/// China Standard Time (UTC+8, no daylight saving).
pub const CHINA: FixedOffset = match FixedOffset::east_opt(8 * 3600) {
    Some(offset) => offset,
    None => panic!("UTC+8 is a valid offset"),
};

/// An instant in China Standard Time.
pub fn in_china(t: DateTime<Utc>) -> DateTime<FixedOffset> {
    t.with_timezone(&CHINA)
}

/// The China date of an instant.
pub fn china_date(t: DateTime<Utc>) -> NaiveDate {
    in_china(t).date_naive()
}

/// 00:00 China time on a date, as an instant.
pub fn china_midnight(d: NaiveDate) -> DateTime<Utc> {
    (d.and_time(chrono::NaiveTime::MIN) - Duration::seconds(i64::from(CHINA.local_minus_utc()))).and_utc()
}

#[derive(Clone, Debug, Default)]
pub struct Clock {
    offset_secs: Arc<AtomicI64>,
}

impl Clock {
    pub fn now(&self) -> DateTime<Utc> {
        Utc::now() + Duration::seconds(self.offset_secs.load(Ordering::Relaxed))
    }

    /// Today in China.
    pub fn today(&self) -> NaiveDate {
        china_date(self.now())
    }

    /// Moves the clock forward (tests and drills only).
    pub fn advance(&self, by: Duration) {
        self.offset_secs.fetch_add(by.num_seconds(), Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn china_dates_and_midnights() {
        let t = DateTime::parse_from_rfc3339("2025-01-31T17:30:00Z").expect("time").with_timezone(&Utc);
        assert_eq!(china_date(t), NaiveDate::from_ymd_opt(2025, 2, 1).expect("date"));
        let d = NaiveDate::from_ymd_opt(2026, 1, 1).expect("date");
        assert_eq!(china_midnight(d).to_rfc3339(), "2025-12-31T16:00:00+00:00");
        assert_eq!(china_date(china_midnight(d)), d);
    }
}
