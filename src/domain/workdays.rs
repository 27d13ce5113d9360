//! Working-day deadlines (工作日): Monday to Friday, except public holidays, plus the weekend days
//! made working days by adjustment (调休). Both come from an optional table (`calendar_days`); without
//! it, Monday to Friday are the working days.

use std::collections::HashMap;

use chrono::{Datelike, Duration, NaiveDate, Weekday};

/// Exceptions to the Monday-Friday rule: `true` = a working day (调休), `false` = a holiday.
#[derive(Clone, Debug, Default)]
pub struct Calendar {
    exceptions: HashMap<NaiveDate, bool>,
}

impl Calendar {
    pub fn new(exceptions: impl IntoIterator<Item = (NaiveDate, bool)>) -> Self {
        Self { exceptions: exceptions.into_iter().collect() }
    }

    pub fn is_workday(&self, d: NaiveDate) -> bool {
        match self.exceptions.get(&d) {
            Some(w) => *w,
            None => !matches!(d.weekday(), Weekday::Sat | Weekday::Sun),
        }
    }

    /// The `n`-th working day after `start` (the start day itself does not count). A deadline of
    /// "within 7 working days of receipt" is `add(receipt_date, 7)`, inclusive.
    pub fn add(&self, start: NaiveDate, n: u32) -> NaiveDate {
        let mut d = start;
        let mut left = n;
        while left > 0 {
            d += Duration::days(1);
            if self.is_workday(d) {
                left -= 1;
            }
        }
        d
    }

    /// Working days from `from` (exclusive) to `to` (inclusive); negative when `to` is earlier.
    pub fn between(&self, from: NaiveDate, to: NaiveDate) -> i64 {
        if to < from {
            return -self.between(to, from);
        }
        let mut n = 0;
        let mut d = from;
        while d < to {
            d += Duration::days(1);
            if self.is_workday(d) {
                n += 1;
            }
        }
        n
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("date")
    }

    #[test]
    fn weekends_are_skipped() {
        let c = Calendar::default();
        // Friday 2026-11-27 + 1 working day = Monday 2026-11-30
        assert_eq!(c.add(d("2026-11-27"), 1), d("2026-11-30"));
        // Saturday receipt: 7 working days = Tuesday of the week after next
        assert_eq!(c.add(d("2026-11-28"), 7), d("2026-12-08"));
        assert_eq!(c.add(d("2026-11-30"), 15), d("2026-12-21"));
        assert_eq!(c.between(d("2026-11-27"), d("2026-11-30")), 1);
    }

    #[test]
    fn holidays_and_adjusted_working_days() {
        // 2026 National Day: Oct 1-7 off, Sunday Sep 27 and Saturday Oct 10 worked (illustrative)
        let mut ex: Vec<(NaiveDate, bool)> = (1..=7).map(|day| (d(&format!("2026-10-{day:02}")), false)).collect();
        ex.push((d("2026-09-27"), true));
        ex.push((d("2026-10-10"), true));
        let c = Calendar::new(ex);
        assert!(c.is_workday(d("2026-09-27")));
        assert!(!c.is_workday(d("2026-10-01")));
        // received Wednesday Sep 30: Oct 8 (Thu), 9 (Fri), 10 (Sat, worked), 12, 13, 14, 15
        assert_eq!(c.add(d("2026-09-30"), 7), d("2026-10-15"));
        assert_eq!(Calendar::default().add(d("2026-09-30"), 7), d("2026-10-09"));
    }
}
