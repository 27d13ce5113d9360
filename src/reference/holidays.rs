//! The holiday table (`calendar_days`): the shipped file of official holidays and make-up working
//! days 2004-2026 (loaded by `migrate` and `catalog import`), and operators' files of new years
//! (`stdreg catalog holidays FILE`), in the same shape: `date,kind,festival,festival_zh`.

use std::collections::{BTreeSet, HashMap};

use chrono::{Datelike, NaiveDate, Weekday};
use diesel::prelude::*;
use diesel::upsert::excluded;
use serde::{Deserialize, Serialize};

use crate::db::schema::calendar_days;
use crate::domain::workdays::Calendar;

/// Official holidays and make-up working days 2004-2026 (see `data/README.md`).
pub const SHIPPED: &str = include_str!("data/cn_holidays_2004_2026.csv");

/// One row of the holiday file, as the shipped data and the State Council notices give it.
#[derive(Deserialize)]
struct Row {
    date: NaiveDate,
    /// `holiday` (a day off, also when it falls on a weekend) or `workday` (a weekend day worked).
    kind: String,
    #[serde(default)]
    #[expect(dead_code, reason = "the English name is in the file for readers; the Chinese one is stored")]
    festival: String,
    festival_zh: String,
}

/// What a load did.
#[derive(Serialize, Debug, Default, PartialEq, Eq)]
pub struct ImportReport {
    pub rows: usize,
    pub added: usize,
    pub changed: usize,
    pub unchanged: usize,
    /// Years the file has rows in.
    pub years: Vec<i32>,
}

/// Reads and checks a holiday file (`date,kind,festival,festival_zh`): every line or none. Errors
/// name the line.
fn parse(text: &str) -> anyhow::Result<Vec<(NaiveDate, bool, String)>> {
    let mut reader = csv::Reader::from_reader(text.trim_start_matches('\u{feff}').as_bytes());
    let headers = reader.headers()?.clone();
    for need in ["date", "kind", "festival_zh"] {
        if !headers.iter().any(|h| h == need) {
            anyhow::bail!("the header lacks the column `{need}` (expected date,kind,festival,festival_zh)");
        }
    }
    let mut seen = HashMap::new();
    let mut out = Vec::new();
    for (i, row) in reader.deserialize::<Row>().enumerate() {
        let line = i + 2;
        let r = row.map_err(|e| anyhow::anyhow!("line {line}: {e}"))?;
        let workday = match r.kind.as_str() {
            "holiday" => false,
            "workday" => true,
            other => anyhow::bail!("line {line}: kind `{other}` should be `holiday` or `workday`"),
        };
        if workday && !matches!(r.date.weekday(), Weekday::Sat | Weekday::Sun) {
            anyhow::bail!("line {line}: {} is a weekday; a `workday` row is a Saturday or Sunday worked", r.date);
        }
        if let Some(first) = seen.insert(r.date, line) {
            anyhow::bail!("line {line}: {} is already on line {first}", r.date);
        }
        out.push((r.date, workday, r.festival_zh.trim().to_string()));
    }
    if out.is_empty() {
        anyhow::bail!("the file has no rows");
    }
    Ok(out)
}

/// Loads a holiday file in one transaction (all rows or none), adding new days and updating
/// changed ones; days not in the file are kept.
pub fn import(conn: &mut PgConnection, text: &str) -> anyhow::Result<ImportReport> {
    let rows = parse(text)?;
    conn.transaction(|conn| {
        let days: Vec<NaiveDate> = rows.iter().map(|r| r.0).collect();
        let before: HashMap<NaiveDate, (bool, String)> = calendar_days::table
            .filter(calendar_days::day.eq_any(&days))
            .select((calendar_days::day, calendar_days::is_workday, calendar_days::name))
            .load::<(NaiveDate, bool, String)>(conn)?
            .into_iter()
            .map(|(d, w, n)| (d, (w, n)))
            .collect();
        let mut report = ImportReport { rows: rows.len(), ..ImportReport::default() };
        let mut years = BTreeSet::new();
        for (day, workday, name) in &rows {
            years.insert(day.year());
            match before.get(day) {
                None => report.added += 1,
                Some((w, n)) if w == workday && n == name => report.unchanged += 1,
                Some(_) => report.changed += 1,
            }
        }
        report.years = years.into_iter().collect();
        let values: Vec<_> = rows
            .iter()
            .map(|(d, w, n)| (calendar_days::day.eq(*d), calendar_days::is_workday.eq(*w), calendar_days::name.eq(n)))
            .collect();
        for chunk in values.chunks(1000) {
            diesel::insert_into(calendar_days::table)
                .values(chunk)
                .on_conflict(calendar_days::day)
                .do_update()
                .set((
                    calendar_days::is_workday.eq(excluded(calendar_days::is_workday)),
                    calendar_days::name.eq(excluded(calendar_days::name)),
                ))
                .execute(conn)?;
        }
        Ok(report)
    })
}

/// The shipped table as a calendar (no database).
pub fn shipped_calendar() -> anyhow::Result<Calendar> {
    Ok(Calendar::new(parse(SHIPPED)?.into_iter().map(|(d, w, _)| (d, w))))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_file_parses() {
        assert_eq!(parse(SHIPPED).expect("parses").len(), 771);
    }

    #[test]
    fn bad_files_are_refused_with_the_line() {
        let head = "date,kind,festival,festival_zh\n";
        let e = |body: &str| parse(&format!("{head}{body}")).expect_err("refused").to_string();
        assert!(e("2027-02-06,day_off,Spring Festival,春节\n").contains("line 2"));
        assert!(e("2027-02-08,workday,Spring Festival,春节\n").contains("is a weekday"));
        assert!(
            e("2027-02-06,workday,Spring Festival,春节\n2027-02-06,holiday,Spring Festival,春节\n").contains("line 3")
        );
        assert!(e("2027-13-01,holiday,x,x\n").contains("line 2"));
        assert!(
            parse("day,is_workday,name\n2027-01-01,false,元旦\n").expect_err("old header").to_string().contains("kind")
        );
        assert!(parse(head).is_err());
        assert_eq!(parse(&format!("{head}2027-01-01,holiday,New Year's Day,元旦\n")).expect("ok").len(), 1);
    }
}
