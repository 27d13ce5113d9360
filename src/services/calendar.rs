//! The working-day calendar from the `calendar_days` table, and loading it from a CSV file.

use chrono::NaiveDate;
use diesel::prelude::*;
use diesel::upsert::excluded;

use crate::db::schema::calendar_days;
use crate::domain::workdays::Calendar;

/// The calendar with every loaded exception.
pub fn load(conn: &mut PgConnection) -> QueryResult<Calendar> {
    let rows: Vec<(NaiveDate, bool)> =
        calendar_days::table.select((calendar_days::day, calendar_days::is_workday)).load(conn)?;
    Ok(Calendar::new(rows))
}

/// Loads `date,is_workday,name` rows (e.g. `2026-10-01,false,国庆节`); returns how many.
pub fn import_csv(conn: &mut PgConnection, text: &str) -> anyhow::Result<usize> {
    #[derive(serde::Deserialize)]
    struct Row {
        date: NaiveDate,
        is_workday: bool,
        name: String,
    }
    let rows: Vec<Row> = csv::Reader::from_reader(text.as_bytes()).deserialize().collect::<Result<_, _>>()?;
    let values: Vec<_> = rows
        .iter()
        .map(|r| {
            (calendar_days::day.eq(r.date), calendar_days::is_workday.eq(r.is_workday), calendar_days::name.eq(&r.name))
        })
        .collect();
    diesel::insert_into(calendar_days::table)
        .values(&values)
        .on_conflict(calendar_days::day)
        .do_update()
        .set((
            calendar_days::is_workday.eq(excluded(calendar_days::is_workday)),
            calendar_days::name.eq(excluded(calendar_days::name)),
        ))
        .execute(conn)?;
    Ok(rows.len())
}
