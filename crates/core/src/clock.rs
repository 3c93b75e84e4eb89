//! Time as Insignia stores and shows it: RFC 3339 text in UTC with milliseconds, or Unix
//! milliseconds for assignment times.

/// The current time as stored and returned everywhere: RFC 3339, UTC, milliseconds.
pub fn now() -> String {
    format_time(time::OffsetDateTime::now_utc())
}

/// The current time as a stored instant: Unix milliseconds (assignment times).
pub fn now_millis() -> i64 {
    (time::OffsetDateTime::now_utc().unix_timestamp_nanos() / 1_000_000) as i64
}

/// A stored instant in the text form shown and returned everywhere.
pub fn format_millis(millis: i64) -> String {
    let t = time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(millis) * 1_000_000)
        .unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
    format_time(t)
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
