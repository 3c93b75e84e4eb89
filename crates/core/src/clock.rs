//! Time as Insignia stores and shows it. Every time in the database is a [`Timestamp`]: Unix
//! milliseconds in UTC, one 64-bit integer, so comparing and ordering times is numeric on both
//! databases. Pages, CSV and the JSON API show the RFC 3339 text made from it
//! (`2026-12-07T09:30:00.000Z`).

use std::{fmt, ops};

use diesel::backend::Backend;
use diesel::deserialize::{self, FromSql, FromSqlRow};
use diesel::expression::AsExpression;
use diesel::serialize::{self, Output, ToSql};
use diesel::sql_types::BigInt;

/// An instant: Unix milliseconds, UTC.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, AsExpression, FromSqlRow,
)]
#[diesel(sql_type = BigInt)]
pub struct Timestamp(i64);

impl Timestamp {
    pub fn now() -> Self {
        Timestamp(now_millis())
    }

    pub const fn from_millis(millis: i64) -> Self {
        Timestamp(millis)
    }

    pub const fn millis(self) -> i64 {
        self.0
    }

    /// RFC 3339 text with any offset (what the API and the CSV import accept).
    pub fn parse(text: &str) -> Option<Self> {
        parse_time(text).map(Self::from_time)
    }

    pub fn from_time(t: time::OffsetDateTime) -> Self {
        Timestamp((t.unix_timestamp_nanos() / 1_000_000) as i64)
    }

    /// The UTC day, `2026-12-07` (dated file names).
    pub fn date(self) -> String {
        let t = self.to_time();
        format!("{:04}-{:02}-{:02}", t.year(), u8::from(t.month()), t.day())
    }

    /// The UTC day in words, `7 December 2026` (when a badge ends).
    pub fn long_day(self) -> String {
        let t = self.to_time();
        format!("{} {} {}", t.day(), t.month(), t.year())
    }

    pub fn to_time(self) -> time::OffsetDateTime {
        time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(self.0) * 1_000_000)
            .unwrap_or(time::OffsetDateTime::UNIX_EPOCH)
    }
}

/// A time later by a span (`Timestamp::now() + time::Duration::days(7)`).
impl ops::Add<time::Duration> for Timestamp {
    type Output = Timestamp;
    fn add(self, span: time::Duration) -> Timestamp {
        Timestamp(self.0.saturating_add(span_millis(span)))
    }
}

impl ops::Add<std::time::Duration> for Timestamp {
    type Output = Timestamp;
    fn add(self, span: std::time::Duration) -> Timestamp {
        Timestamp(
            self.0
                .saturating_add(i64::try_from(span.as_millis()).unwrap_or(i64::MAX)),
        )
    }
}

impl ops::Sub<time::Duration> for Timestamp {
    type Output = Timestamp;
    fn sub(self, span: time::Duration) -> Timestamp {
        Timestamp(self.0.saturating_sub(span_millis(span)))
    }
}

/// The span between two times.
impl ops::Sub for Timestamp {
    type Output = time::Duration;
    fn sub(self, earlier: Timestamp) -> time::Duration {
        time::Duration::milliseconds(self.0.saturating_sub(earlier.0))
    }
}

fn span_millis(span: time::Duration) -> i64 {
    i64::try_from(span.whole_milliseconds()).unwrap_or(if span.is_negative() {
        i64::MIN
    } else {
        i64::MAX
    })
}

/// The text form shown and returned everywhere: RFC 3339, UTC, milliseconds.
impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&format_time(self.to_time()))
    }
}

impl serde::Serialize for Timestamp {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<DB: Backend> ToSql<BigInt, DB> for Timestamp
where
    i64: ToSql<BigInt, DB>,
{
    fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, DB>) -> serialize::Result {
        self.0.to_sql(out)
    }
}

impl<DB: Backend> FromSql<BigInt, DB> for Timestamp
where
    i64: FromSql<BigInt, DB>,
{
    fn from_sql(bytes: DB::RawValue<'_>) -> deserialize::Result<Self> {
        i64::from_sql(bytes).map(Timestamp)
    }
}

/// The current time as Unix milliseconds.
pub fn now_millis() -> i64 {
    (time::OffsetDateTime::now_utc().unix_timestamp_nanos() / 1_000_000) as i64
}

/// A stored instant in the text form shown and returned everywhere.
pub fn format_millis(millis: i64) -> String {
    Timestamp(millis).to_string()
}

pub fn format_time(t: time::OffsetDateTime) -> String {
    let t = t.to_offset(time::UtcOffset::UTC);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second(),
        t.millisecond()
    )
}

pub fn parse_time(s: &str) -> Option<time::OffsetDateTime> {
    time::OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_timestamp_reads_back_as_the_text_it_was_written_from() {
        let t = Timestamp::parse("2026-12-07T09:30:01.234Z").expect("parses");
        assert_eq!(t.millis(), 1_796_635_801_234);
        assert_eq!(t.to_string(), "2026-12-07T09:30:01.234Z");
        let offset = Timestamp::parse("2026-12-07T10:30:01.234+01:00").expect("parses");
        assert_eq!(offset, t);
        assert_eq!(
            (t + time::Duration::minutes(1)).to_string(),
            "2026-12-07T09:31:01.234Z"
        );
        assert_eq!(
            (t + time::Duration::minutes(1)) - t,
            time::Duration::minutes(1)
        );
        assert!(Timestamp::parse("yesterday").is_none());
    }
}
