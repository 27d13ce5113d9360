//! Working-day deadlines (工作日): Monday to Friday, except public holidays, plus the weekend days
//! made working days by adjustment (调休). Both come from the holiday table (`calendar_days`, the
//! State Council's yearly notices, shipped for 2004-2026). A year the table does not cover yet is
//! counted by weekends only; [`Calendar::uncovered_year`] says when that happened.

use std::collections::{BTreeSet, HashMap};

use chrono::{Datelike, Duration, NaiveDate, Weekday};

/// Exceptions to the Monday-Friday rule: `true` = a working day (调休), `false` = a holiday.
#[derive(Clone, Debug, Default)]
pub struct Calendar {
    exceptions: HashMap<NaiveDate, bool>,
    /// Years whose notice is loaded (any row in the year).
    covered: BTreeSet<i32>,
}

impl Calendar {
    /// A calendar from its exceptions; the years they fall in count as covered.
    pub fn new(exceptions: impl IntoIterator<Item = (NaiveDate, bool)>) -> Self {
        let exceptions: HashMap<NaiveDate, bool> = exceptions.into_iter().collect();
        let covered = exceptions.keys().map(|d| d.year()).collect();
        Self { exceptions, covered }
    }

    pub fn is_workday(&self, d: NaiveDate) -> bool {
        match self.exceptions.get(&d) {
            Some(w) => *w,
            None => !matches!(d.weekday(), Weekday::Sat | Weekday::Sun),
        }
    }

    /// Whether the holiday table covers the year of `d`.
    pub fn covers(&self, d: NaiveDate) -> bool {
        self.covered.contains(&d.year())
    }

    /// The years the table covers, in order.
    pub fn covered_years(&self) -> impl Iterator<Item = i32> + '_ {
        self.covered.iter().copied()
    }

    /// The first year after `start` up to `end` (inclusive) that the table does not cover: days
    /// counted in it were counted by weekends only.
    pub fn uncovered_year(&self, start: NaiveDate, end: NaiveDate) -> Option<i32> {
        let first = (start + Duration::days(1)).year();
        (first..=end.year()).find(|y| !self.covered.contains(y))
    }

    /// The `n`-th working day after `start` (the start day itself does not count: 开始的当日不计入).
    /// A deadline of "within 7 working days of receipt" is `add(receipt_date, 7)`, inclusive.
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
        assert_eq!(c.uncovered_year(d("2026-11-27"), d("2026-11-30")), Some(2026));
    }

    #[test]
    fn holidays_and_adjusted_working_days() {
        // 2026 National Day as published: Oct 1-7 off, Sunday Sep 20 and Saturday Oct 10 worked
        let mut ex: Vec<(NaiveDate, bool)> = (1..=7).map(|day| (d(&format!("2026-10-{day:02}")), false)).collect();
        ex.push((d("2026-09-20"), true));
        ex.push((d("2026-10-10"), true));
        let c = Calendar::new(ex);
        assert!(c.is_workday(d("2026-09-20")));
        assert!(!c.is_workday(d("2026-10-01")));
        // received Wednesday Sep 30: Oct 8 (Thu), 9 (Fri), 10 (Sat, worked), 12, 13, 14, 15
        assert_eq!(c.add(d("2026-09-30"), 7), d("2026-10-15"));
        assert_eq!(Calendar::default().add(d("2026-09-30"), 7), d("2026-10-09"));
        assert!(c.covers(d("2026-01-05")) && !c.covers(d("2027-01-05")));
        assert_eq!(c.uncovered_year(d("2026-09-30"), d("2026-10-15")), None);
        // counted from the last day of a covered year: the next year is what matters
        assert_eq!(c.uncovered_year(d("2026-12-28"), d("2027-01-06")), Some(2027));
        assert_eq!(c.add(d("2026-12-28"), 7), d("2027-01-06"));
    }
}
