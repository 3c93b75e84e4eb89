//! Finding members by name or e-mail at a million rows: a trigram full-text index for
//! substrings of three characters or more, index ranges for shorter prefixes.

use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text};
use diesel::sqlite::SqliteConnection;

use super::Member;
use crate::error::AppError;

/// A member with the row number that orders results (newest first) and pages them.
#[derive(Debug, Clone, QueryableByName)]
pub struct Hit {
    #[diesel(sql_type = BigInt)]
    pub rowid: i64,
    #[diesel(embed)]
    pub member: Member,
}

const COLUMNS: &str =
    "m.rowid AS rowid, m.id, m.name, m.email, m.slug, m.badge_count, m.created_at";

/// How a search term is matched.
#[derive(Debug, Clone, PartialEq)]
pub enum Term {
    All,
    /// One or two characters: names or e-mails starting with it.
    Prefix {
        low: String,
        high: String,
    },
    /// Three or more: names or e-mails containing it (an FTS5 trigram phrase).
    Substring(String),
}

impl Term {
    pub fn parse(q: &str) -> Term {
        let q = q.trim().to_lowercase();
        match q.chars().count() {
            0 => Term::All,
            1 | 2 => Term::Prefix {
                high: format!("{q}\u{10FFFF}"),
                low: q,
            },
            _ => Term::Substring(format!("\"{}\"", q.replace('"', "\"\""))),
        }
    }

    /// A subquery listing the row numbers (`rid`) of matching members, from the indexes;
    /// `None` when everyone matches.
    fn matching_rowids(&self) -> Option<(&'static str, Vec<String>)> {
        match self {
            Term::All => None,
            Term::Prefix { low, high } => Some((
                "SELECT rowid AS rid FROM members WHERE name_key >= ? AND name_key < ? \
                 UNION SELECT rowid FROM members WHERE email >= ? AND email < ?",
                vec![low.clone(), high.clone(), low.clone(), high.clone()],
            )),
            Term::Substring(phrase) => Some((
                "SELECT rowid AS rid FROM members_search WHERE members_search MATCH ?",
                vec![phrase.clone()],
            )),
        }
    }

    /// The same, as a condition on `m` (members) when another index drives the query.
    fn condition(&self) -> (String, Vec<String>) {
        match self.matching_rowids() {
            None => ("1".to_string(), vec![]),
            Some((rowids, params)) => (format!("m.rowid IN ({rowids})"), params),
        }
    }
}

/// Members matching `q`, newest first, `limit` at most, after the row `before` if given.
pub fn members(
    conn: &mut SqliteConnection,
    q: &str,
    before: Option<i64>,
    limit: i64,
) -> Result<Vec<Hit>, AppError> {
    let (sql, params) = match Term::parse(q).matching_rowids() {
        // A plain rowid bound (not "? IS NULL OR …") so SQLite can seek to the page.
        None => (
            format!(
                "SELECT {COLUMNS} FROM members m WHERE m.rowid < ? ORDER BY m.rowid DESC LIMIT ?"
            ),
            vec![],
        ),
        // The matches drive the query (CROSS JOIN keeps that order): a rare term must not
        // turn into a walk over every member looking for it.
        Some((rowids, params)) => (
            format!(
                "SELECT {COLUMNS} FROM ({rowids}) AS hit CROSS JOIN members m ON m.rowid = hit.rid \
                 WHERE hit.rid < ? ORDER BY hit.rid DESC LIMIT ?"
            ),
            params,
        ),
    };
    let mut query = diesel::sql_query(sql).into_boxed();
    for p in params {
        query = query.bind::<Text, _>(p);
    }
    Ok(query
        .bind::<BigInt, _>(before.unwrap_or(i64::MAX))
        .bind::<BigInt, _>(limit)
        .load(conn)?)
}

/// A holder of a badge, with when they got it.
#[derive(Debug, Clone, QueryableByName)]
pub struct Holder {
    #[diesel(embed)]
    pub member: Member,
    #[diesel(sql_type = Text)]
    pub assigned_at: String,
}

/// Holders of a badge matching `q`, newest assignment first, after the cursor
/// `(assigned_at, member_id)` of the last holder already shown.
pub fn holders(
    conn: &mut SqliteConnection,
    badge_id: &str,
    q: &str,
    after: Option<(String, String)>,
    limit: i64,
) -> Result<Vec<Holder>, AppError> {
    let (condition, params) = Term::parse(q).condition();
    // The row-value bound lets SQLite seek in the (badge_id, assigned_at, member_id) index.
    let sql = format!(
        "SELECT m.id, m.name, m.email, m.slug, m.badge_count, m.created_at, mb.assigned_at \
         FROM member_badges mb JOIN members m ON m.id = mb.member_id \
         WHERE mb.badge_id = ? AND (mb.assigned_at, mb.member_id) < (?, ?) AND {condition} \
         ORDER BY mb.assigned_at DESC, mb.member_id DESC LIMIT ?"
    );
    let (at, id) = after.unwrap_or_else(|| ("\u{10FFFF}".to_string(), String::new()));
    let mut query = diesel::sql_query(sql)
        .into_boxed()
        .bind::<Text, _>(badge_id.to_string())
        .bind::<Text, _>(at)
        .bind::<Text, _>(id);
    for p in params {
        query = query.bind::<Text, _>(p);
    }
    Ok(query.bind::<BigInt, _>(limit).load(conn)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_terms_are_prefixes_longer_ones_substrings() {
        assert_eq!(Term::parse("  "), Term::All);
        assert!(matches!(Term::parse("Ad"), Term::Prefix { ref low, .. } if low == "ad"));
        assert_eq!(
            Term::parse("Love\"lace"),
            Term::Substring("\"love\"\"lace\"".to_string())
        );
    }
}
