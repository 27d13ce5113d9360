//! The working-day calendar: the `calendar_days` table (official holidays and make-up working days,
//! as the State Council announces them each year; loaded by `reference::holidays`), and the deadline
//! computation every service uses.
//!
//! A deadline that reaches into a year the table does not cover yet is counted by weekends only;
//! [`deadline`] logs a warning and [`uncovered_year`] lets pages and views say so.

use std::collections::BTreeSet;

use chrono::{Datelike, NaiveDate};
use diesel::prelude::*;

use crate::db::schema::calendar_days;
use crate::domain::workdays::Calendar;

/// The calendar with every loaded exception.
pub fn load(conn: &mut PgConnection) -> QueryResult<Calendar> {
    let rows: Vec<(NaiveDate, bool)> =
        calendar_days::table.select((calendar_days::day, calendar_days::is_workday)).load(conn)?;
    Ok(Calendar::new(rows))
}

/// The `n`-th working day after `start`, warning when it counted a year the table lacks (`what`
/// names the deadline in the log).
pub fn deadline(cal: &Calendar, start: NaiveDate, n: u32, what: &str) -> NaiveDate {
    let due = cal.add(start, n);
    warn_uncovered(cal, start, due, what);
    due
}

/// Logs a warning when the days from `start` to `due` reach into a year the holiday table does not
/// cover (those days were counted by weekends only).
pub fn warn_uncovered(cal: &Calendar, start: NaiveDate, due: NaiveDate, what: &str) {
    if let Some(year) = cal.uncovered_year(start, due) {
        tracing::warn!(
            deadline = what,
            %start,
            %due,
            year,
            "the holiday table does not cover {year}: this deadline counts weekends only; load the year's notice with `stdreg catalog holidays FILE`"
        );
    }
}

/// The year a deadline running from `start` to `due` counted by weekends only, if any.
pub fn uncovered_year(cal: &Calendar, start: NaiveDate, due: NaiveDate) -> Option<i32> {
    cal.uncovered_year(start, due)
}

/// The years the holiday table covers (a cheap query: one row per year).
pub fn covered_years(conn: &mut PgConnection) -> QueryResult<BTreeSet<i32>> {
    #[derive(QueryableByName)]
    struct Year {
        #[diesel(sql_type = diesel::sql_types::Integer)]
        year: i32,
    }
    let rows: Vec<Year> =
        diesel::sql_query("SELECT DISTINCT extract(year FROM day)::int4 AS year FROM calendar_days").load(conn)?;
    Ok(rows.into_iter().map(|y| y.year).collect())
}

/// The words shown next to a deadline in a year the table does not cover.
pub fn uncovered_note(year: i32) -> String {
    format!(
        "节假日表尚未包含 {year} 年的放假安排，该期限暂按周末计算；国务院办公厅公布安排后请导入（stdreg catalog holidays）并复核"
    )
}

/// The note for a deadline, if its year is not covered.
pub fn note_for(covered: &BTreeSet<i32>, due: Option<NaiveDate>) -> Option<String> {
    due.map(|d| d.year()).filter(|y| !covered.contains(y)).map(uncovered_note)
}

/// Years of running deadlines in a jurisdiction (division prefix) that the holiday table does not
/// cover: complaints awaiting a decision or a conclusion, rectifications awaiting an answer.
pub fn uncovered_deadline_years(conn: &mut PgConnection, prefix: &str) -> QueryResult<Vec<i32>> {
    #[derive(QueryableByName)]
    struct Year {
        #[diesel(sql_type = diesel::sql_types::Integer)]
        year: i32,
    }
    let rows: Vec<Year> = diesel::sql_query(
        "SELECT DISTINCT extract(year FROM due)::int4 AS year FROM ( \
             SELECT CASE WHEN status = 'received' THEN acceptance_due ELSE conclusion_due END AS due \
             FROM complaints WHERE status IN ('received', 'accepted', 'assigned') AND division_code LIKE $1 \
             UNION ALL \
             SELECT rectification_due FROM inspections \
             WHERE status = 'rectification_ordered' AND division_code LIKE $1 \
         ) d \
         WHERE due IS NOT NULL AND NOT EXISTS ( \
             SELECT 1 FROM calendar_days c \
             WHERE c.day >= date_trunc('year', d.due)::date AND c.day < (date_trunc('year', d.due) + interval '1 year')::date) \
         ORDER BY year",
    )
    .bind::<diesel::sql_types::Text, _>(format!("{prefix}%"))
    .load(conn)?;
    Ok(rows.into_iter().map(|y| y.year).collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::reference::holidays;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("date")
    }

    #[test]
    fn the_shipped_table_gives_the_real_2026_deadlines() {
        let cal = holidays::shipped_calendar().expect("shipped file parses");
        assert_eq!(cal.covered_years().collect::<Vec<_>>(), (2004..=2026).collect::<Vec<_>>());
        // National Day: Oct 1-7 off, Saturday Oct 10 worked
        assert_eq!(deadline(&cal, d("2026-09-30"), 7, "test"), d("2026-10-15"));
        // Spring Festival: Saturday Feb 14 and Saturday Feb 28 worked, Feb 15-23 off
        assert_eq!(deadline(&cal, d("2026-02-13"), 7, "test"), d("2026-03-02"));
        assert!(cal.is_workday(d("2026-02-14")) && !cal.is_workday(d("2026-02-23")));
        assert_eq!(uncovered_year(&cal, d("2026-09-30"), d("2026-10-15")), None);
        // past the table: weekends only, and said so
        assert_eq!(deadline(&cal, d("2026-12-28"), 7, "test"), d("2027-01-06"));
        assert_eq!(uncovered_year(&cal, d("2026-12-28"), d("2027-01-06")), Some(2027));
    }
}
