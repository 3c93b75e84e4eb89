//! Finding members by name or e-mail at a million rows: a trigram index for substrings of
//! three characters or more (an FTS5 trigram table on SQLite, `pg_trgm` on PostgreSQL),
//! index seeks on the first characters for shorter prefixes.
//!
//! What was typed is always data, never query syntax: control characters (NUL among them,
//! which FTS5 cannot take) are dropped; on SQLite the rest goes into the MATCH expression as
//! one quoted FTS5 string, so `"`, `*`, `^`, `:`, `(`, `NEAR`, `AND` or `-` are searched for
//! like any other character, and on PostgreSQL into a LIKE pattern with `%`, `_` and `\`
//! escaped.

use crate::db::{BackendKind, DbConnection};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text};

use super::Member;
use super::profile::Audience;
use crate::db::schema::members;
use crate::error::Error;
use crate::ids::BadgeId;

/// A member with the row number that orders results (newest first) and pages them.
#[derive(Debug, Clone, QueryableByName)]
pub struct Hit {
    #[diesel(sql_type = BigInt)]
    pub rowid: i64,
    #[diesel(embed)]
    pub member: Member,
}

const COLUMNS: &str = "m.key AS rowid, m.id, m.name, m.email, m.slug, m.badge_count, m.created_at";

/// Search text longer than this cannot be part of any name or e-mail address (lowercasing
/// makes a character at most three), so it matches nobody without asking the index.
const TERM_MAX: usize = 3 * if crate::email::MAX_LEN > super::NAME_MAX {
    crate::email::MAX_LEN
} else {
    super::NAME_MAX
};

/// Which fields a search looks in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fields {
    /// Names only: what visitors may search, in the public directory.
    Names,
    /// Names and e-mail addresses: the dashboard's searches.
    NamesAndEmails,
}

/// How a search term is matched.
#[derive(Debug, Clone, PartialEq)]
pub enum Term {
    All,
    /// One or two characters: names (or e-mails) starting with it.
    Prefix {
        low: String,
        high: String,
    },
    /// Three or more: names (or e-mails) containing it.
    Substring(String),
    /// Longer than any name or e-mail address: nobody matches.
    Nothing,
}

/// The search text as data: lowercased, trimmed, without control characters (NUL, escapes,
/// line breaks), which no name or e-mail address contains and FTS5 cannot take.
fn clean(q: &str) -> String {
    q.chars()
        .filter(|c| !c.is_control())
        .collect::<String>()
        .trim()
        .to_lowercase()
}

/// `text` as one FTS5 string: in double quotes, each `"` doubled, so nothing in it is syntax.
fn fts5_string(text: &str) -> String {
    format!("\"{}\"", text.replace('"', "\"\""))
}

/// A PostgreSQL prefix query for `text` as one quoted lexeme (`'ho':*`): quotes and
/// backslashes inside are escaped, so nothing in it is syntax. Text with no letters or digits
/// makes an empty query, which matches nothing.
fn tsquery_prefix(text: &str) -> String {
    let quoted = text.replace('\\', "\\\\").replace('\'', "''");
    format!("'{quoted}':*")
}

/// A LIKE pattern matching values that contain `text` (with `ESCAPE '\'`).
fn contains_pattern(text: &str) -> String {
    let mut pattern = String::from("%");
    for c in text.chars() {
        if matches!(c, '%' | '_' | '\\') {
            pattern.push('\\');
        }
        pattern.push(c);
    }
    pattern.push('%');
    pattern
}

impl Term {
    pub fn parse(q: &str) -> Term {
        let q = clean(q);
        match q.chars().count() {
            0 => Term::All,
            1 | 2 => Term::Prefix {
                high: format!("{q}\u{10FFFF}"),
                low: q,
            },
            n if n > TERM_MAX => Term::Nothing,
            _ => Term::Substring(q),
        }
    }

    /// A subquery listing the keys (`rid`) of matching members, from the indexes; `None`
    /// when everyone matches. Not for `Term::Nothing`.
    fn matching_rowids(
        &self,
        fields: Fields,
        backend: BackendKind,
    ) -> Option<(&'static str, Vec<String>)> {
        match (self, fields, backend) {
            (Term::All | Term::Nothing, ..) => None,
            (Term::Prefix { low, high }, Fields::Names, _) => Some((
                "SELECT key AS rid FROM members WHERE name_key >= ? AND name_key < ?",
                vec![low.clone(), high.clone()],
            )),
            (Term::Prefix { low, high }, Fields::NamesAndEmails, _) => Some((
                "SELECT key AS rid FROM members WHERE name_key >= ? AND name_key < ? \
                 UNION SELECT key FROM members WHERE email >= ? AND email < ?",
                vec![low.clone(), high.clone(), low.clone(), high.clone()],
            )),
            // A column filter: the e-mail column of the index is never searched.
            (Term::Substring(text), Fields::Names, BackendKind::Sqlite) => Some((
                "SELECT rowid AS rid FROM members_search WHERE members_search MATCH ?",
                vec![format!("{{name}} : {}", fts5_string(text))],
            )),
            (Term::Substring(text), Fields::NamesAndEmails, BackendKind::Sqlite) => Some((
                "SELECT rowid AS rid FROM members_search WHERE members_search MATCH ?",
                vec![fts5_string(text)],
            )),
            (Term::Substring(text), Fields::Names, BackendKind::Postgres) => Some((
                "SELECT key AS rid FROM members WHERE name_key LIKE ? ESCAPE '\\'",
                vec![contains_pattern(text)],
            )),
            (Term::Substring(text), Fields::NamesAndEmails, BackendKind::Postgres) => Some((
                "SELECT key AS rid FROM members \
                 WHERE name_key LIKE ? ESCAPE '\\' OR email LIKE ? ESCAPE '\\'",
                vec![contains_pattern(text), contains_pattern(text)],
            )),
        }
    }

    /// The same, as a condition on `m` (members) when another index drives the query.
    fn condition(&self, fields: Fields, backend: BackendKind) -> (String, Vec<String>) {
        match self.matching_rowids(fields, backend) {
            None => ("true".to_string(), vec![]),
            Some((rowids, params)) => (format!("m.key IN ({rowids})"), params),
        }
    }
}

/// Which members a list shows: all of them, the holders of a badge, or those with none.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Holding {
    Badge(crate::db::keys::BadgeKey),
    NoBadges,
}

/// The members a filter keeps, newest first, `limit` at most, after the row `before` if
/// given. A badge's holders are read from the assignments' primary key (badge, member) in
/// member order; members without badges from the members' keys, newest first (on SQLite
/// through the partial index of such members).
pub fn members_holding(
    conn: &mut DbConnection,
    holding: &Holding,
    before: Option<i64>,
    limit: i64,
) -> Result<Vec<Hit>, Error> {
    let before = before.unwrap_or(i64::MAX);
    Ok(match holding {
        Holding::Badge(badge) => diesel::sql_query(conn.sql(&format!(
            "SELECT {COLUMNS} FROM member_badges mb CROSS JOIN members m ON m.key = mb.member_key \
             WHERE mb.badge_key = ? AND mb.member_key < ? AND {} \
             ORDER BY mb.member_key DESC LIMIT ?",
            super::validity::in_force_sql("mb")
        )))
        .bind::<BigInt, _>(*badge)
        .bind::<BigInt, _>(before)
        .bind::<BigInt, _>(crate::clock::now_millis())
        .bind::<BigInt, _>(limit)
        .load(conn)?,
        Holding::NoBadges => diesel::sql_query(conn.sql(&format!(
            "SELECT {COLUMNS} FROM members m WHERE m.badge_count = 0 AND m.key < ? \
             ORDER BY m.key DESC LIMIT ?"
        )))
        .bind::<BigInt, _>(before)
        .bind::<BigInt, _>(limit)
        .load(conn)?,
    })
}

/// Members whose name or e-mail address matches `q`, newest first, `limit` at most, after
/// the row `before` if given. For the dashboard; the public directory uses
/// [`members_by_name`].
pub fn members(
    conn: &mut DbConnection,
    q: &str,
    before: Option<i64>,
    limit: i64,
) -> Result<Vec<Hit>, Error> {
    find(conn, q, Fields::NamesAndEmails, before, limit)
}

/// Members whose name matches `q` (e-mail addresses are never searched), newest first:
/// the public directory.
pub fn members_by_name(
    conn: &mut DbConnection,
    q: &str,
    before: Option<i64>,
    limit: i64,
) -> Result<Vec<Hit>, Error> {
    find(conn, q, Fields::Names, before, limit)
}

fn find(
    conn: &mut DbConnection,
    q: &str,
    fields: Fields,
    before: Option<i64>,
    limit: i64,
) -> Result<Vec<Hit>, Error> {
    let term = Term::parse(q);
    if matches!(term, Term::Nothing) {
        return Ok(Vec::new());
    }
    if let Term::Prefix { low, .. } = &term {
        return by_prefix(conn, low, fields, before, limit);
    }
    if matches!(term, Term::All) {
        // Built with diesel's DSL so that the statement is prepared once per connection and
        // reused (raw SQL is prepared anew every time): this is the directory's first page.
        let rows: Vec<(i64, Member)> = members::table
            .filter(members::key.lt(before.unwrap_or(i64::MAX)))
            .order(members::key.desc())
            .limit(limit)
            .select((members::key, Member::as_select()))
            .load(conn)?;
        return Ok(rows
            .into_iter()
            .map(|(rowid, member)| Hit { rowid, member })
            .collect());
    }
    let Some((rowids, params)) = term.matching_rowids(fields, conn.backend()) else {
        return Ok(Vec::new());
    };
    // The matches drive the query (CROSS JOIN keeps that order): a rare term must not turn
    // into a walk over every member looking for it.
    let sql = conn.sql(&format!(
        "SELECT {COLUMNS} FROM ({rowids}) AS hit CROSS JOIN members m ON m.key = hit.rid \
         WHERE hit.rid < ? ORDER BY hit.rid DESC LIMIT ?"
    ));
    let mut query = diesel::sql_query(sql).into_boxed();
    for p in params {
        query = query.bind::<Text, _>(p);
    }
    Ok(query
        .bind::<BigInt, _>(before.unwrap_or(i64::MAX))
        .bind::<BigInt, _>(limit)
        .load(conn)?)
}

/// Members whose name (or e-mail address) starts with `prefix` (one or two characters), or
/// with a word of the name that does ("ho" finds Grace Hopper), newest first: seeks in the
/// first-characters indexes and the word index, however common the prefix.
fn by_prefix(
    conn: &mut DbConnection,
    prefix: &str,
    fields: Fields,
    before: Option<i64>,
    limit: i64,
) -> Result<Vec<Hit>, Error> {
    // Only 1 or 2 reach here (see `Term::parse`): each has its own index.
    let n = prefix.chars().count().clamp(1, 2);
    let newest = |column: &str| {
        format!(
            "SELECT key FROM (SELECT key FROM members WHERE substr({column}, 1, {n}) = ?1 \
             AND key < ?2 ORDER BY key DESC LIMIT ?3) AS newest"
        )
    };
    let (words, word_query) = match conn.backend() {
        BackendKind::Sqlite => (
            "SELECT key FROM (SELECT rowid AS key FROM members_words WHERE members_words MATCH ?4 \
             AND rowid < ?2 ORDER BY rowid DESC LIMIT ?3) AS words",
            format!("{}*", fts5_string(prefix)),
        ),
        BackendKind::Postgres => (
            "SELECT key FROM (SELECT key FROM members \
             WHERE to_tsvector('simple', name) @@ to_tsquery('simple', ?4) \
             AND key < ?2 ORDER BY key DESC LIMIT ?3) AS words",
            tsquery_prefix(prefix),
        ),
    };
    let keys = match fields {
        Fields::Names => format!("{} UNION {words}", newest("name_key")),
        Fields::NamesAndEmails => format!(
            "{} UNION {} UNION {words}",
            newest("name_key"),
            newest("email")
        ),
    };
    let sql = conn.sql(&format!(
        "SELECT {COLUMNS} FROM ({keys}) AS hit CROSS JOIN members m ON m.key = hit.key \
         ORDER BY m.key DESC LIMIT ?3"
    ));
    Ok(diesel::sql_query(sql)
        .bind::<Text, _>(prefix)
        .bind::<BigInt, _>(before.unwrap_or(i64::MAX))
        .bind::<BigInt, _>(limit)
        .bind::<Text, _>(word_query)
        .load(conn)?)
}

/// A holder of a badge, with when they got it.
#[derive(Debug, Clone, QueryableByName)]
pub struct Holder {
    #[diesel(embed)]
    pub member: Member,
    /// When they got it, Unix milliseconds.
    #[diesel(sql_type = BigInt)]
    pub at_millis: i64,
    /// With `at_millis`, where the next page starts.
    #[diesel(sql_type = BigInt)]
    pub member_key: i64,
    /// Who gave it, as the audit log names them.
    #[diesel(sql_type = Text)]
    pub assigned_by: String,
    /// When it ends, Unix milliseconds, if the badge is valid for a time.
    #[diesel(sql_type = diesel::sql_types::Nullable<BigInt>)]
    pub expires_at: Option<i64>,
}

/// Which page of a badge's holders to read, by the cursor `(assigned_at, member_key)` of a
/// holder already shown.
#[derive(Debug, Clone, Copy)]
pub enum HolderPage {
    /// The newest holders, or those just older than the cursor (the next page).
    Older(Option<(i64, i64)>),
    /// Those just newer than the cursor (the page before).
    Newer((i64, i64)),
}

/// Holders of a badge whose name or e-mail address matches `q`, newest assignment first,
/// after the cursor `(assigned_at, member_key)` of the last holder already shown. The public
/// list leaves out those who hid the badge from their profile.
pub fn holders(
    conn: &mut DbConnection,
    audience: Audience,
    badge_id: &BadgeId,
    q: &str,
    after: Option<(i64, i64)>,
    limit: i64,
) -> Result<Vec<Holder>, Error> {
    holders_page(conn, audience, badge_id, q, HolderPage::Older(after), limit)
}

/// Up to `limit` holders on the given side of a cursor, always listed newest first.
pub fn holders_page(
    conn: &mut DbConnection,
    audience: Audience,
    badge_id: &BadgeId,
    q: &str,
    page: HolderPage,
    limit: i64,
) -> Result<Vec<Holder>, Error> {
    let term = Term::parse(q);
    if matches!(term, Term::Nothing) {
        return Ok(Vec::new());
    }
    let (condition, params) = term.condition(Fields::NamesAndEmails, conn.backend());
    let shown = match audience {
        Audience::Public => "mb.hidden = false",
        Audience::Everyone => "true",
    };
    // Newer pages are read upwards from the cursor and turned round, so that both directions
    // seek in the (badge_key, assigned_at, member_key) index; the row-value bound lets SQLite
    // use it.
    let ((at, key), side, order) = match page {
        HolderPage::Older(after) => (after.unwrap_or((i64::MAX, i64::MAX)), "<", "DESC"),
        HolderPage::Newer(before) => (before, ">", "ASC"),
    };
    let in_force = super::validity::in_force_sql("mb");
    let sql = conn.sql(&format!(
        "SELECT m.id, m.name, m.email, m.slug, m.badge_count, m.created_at, \
                mb.assigned_at AS at_millis, mb.member_key, mb.assigned_by, mb.expires_at \
         FROM member_badges mb JOIN members m ON m.key = mb.member_key \
         WHERE mb.badge_key = (SELECT key FROM badges WHERE id = ?) \
           AND (mb.assigned_at, mb.member_key) {side} (?, ?) \
           AND {in_force} AND {condition} AND {shown} \
         ORDER BY mb.assigned_at {order}, mb.member_key {order} LIMIT ?"
    ));
    let mut query = diesel::sql_query(sql)
        .into_boxed()
        .bind::<Text, _>(badge_id)
        .bind::<BigInt, _>(at)
        .bind::<BigInt, _>(key)
        .bind::<BigInt, _>(crate::clock::now_millis());
    for p in params {
        query = query.bind::<Text, _>(p);
    }
    let mut rows: Vec<Holder> = query.bind::<BigInt, _>(limit).load(conn)?;
    if matches!(page, HolderPage::Newer(_)) {
        rows.reverse();
    }
    Ok(rows)
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
            Term::Substring("love\"lace".to_string())
        );
    }

    #[test]
    fn terms_are_one_quoted_fts5_string_whatever_they_contain() {
        for (typed, string) in [
            ("\"", "\"\"\"\""), // too short for a substring: see below
            ("a\"b", "\"a\"\"b\""),
            ("\"\"\"", "\"\"\"\"\"\"\"\""),
            ("lov*", "\"lov*\""),
            ("^love", "\"^love\""),
            ("name : love", "\"name : love\""),
            ("{name email}: x", "\"{name email}: x\""),
            ("NEAR(love lace)", "\"near(love lace)\""),
            ("love AND lace", "\"love and lace\""),
            ("-love", "\"-love\""),
            ("(love", "\"(love\""),
            ("'a'", "\"'a'\""),
        ] {
            if typed.chars().count() < 3 {
                continue;
            }
            let Term::Substring(text) = Term::parse(typed) else {
                panic!("{typed:?} is a substring search");
            };
            assert_eq!(fts5_string(&text), string, "{typed:?}");
        }
        assert_eq!(fts5_string("\""), "\"\"\"\"");
        assert_eq!(fts5_string("a\"\"b"), "\"a\"\"\"\"b\"");
    }

    #[test]
    fn control_characters_are_dropped_from_the_search_text() {
        assert_eq!(Term::parse("a\0b\0c"), Term::Substring("abc".to_string()));
        assert_eq!(Term::parse("\0\0\0"), Term::All);
        assert_eq!(Term::parse(" \t\r\n\u{1}\u{7f}\u{9b} "), Term::All);
        assert!(matches!(Term::parse("a\0"), Term::Prefix { ref low, .. } if low == "a"));
        assert_eq!(
            Term::parse("lo\u{1b}ve\n"),
            Term::Substring("love".to_string())
        );
        // Other characters are text: emoji, combining marks, format characters.
        assert_eq!(
            Term::parse("🦀e\u{301}\u{200d}"),
            Term::Substring("🦀e\u{301}\u{200d}".to_string())
        );
    }

    #[test]
    fn text_longer_than_any_name_or_address_matches_nobody() {
        assert_eq!(Term::parse(&"a".repeat(TERM_MAX + 1)), Term::Nothing);
        assert!(matches!(
            Term::parse(&"a".repeat(TERM_MAX)),
            Term::Substring(_)
        ));
        const {
            assert!(TERM_MAX >= 3 * crate::email::MAX_LEN && TERM_MAX >= 3 * super::super::NAME_MAX)
        };
    }

    #[test]
    fn public_searches_filter_to_the_name_column() {
        let (_, params) = Term::parse("example.org")
            .matching_rowids(Fields::Names, BackendKind::Sqlite)
            .expect("a substring");
        assert_eq!(params, ["{name} : \"example.org\""]);
        let (sql, params) = Term::parse("ex")
            .matching_rowids(Fields::Names, BackendKind::Sqlite)
            .expect("a prefix");
        assert!(!sql.contains("email"), "{sql}");
        assert_eq!(params.len(), 2);
    }

    /// Every odd input runs against a real database, in every search, without an error,
    /// and finds what it literally says.
    #[test]
    fn hostile_search_text_runs_as_a_literal_search() {
        let dir = tempfile::tempdir().expect("dir");
        let path = dir.path().join("search.db").to_string_lossy().to_string();
        let pool = crate::db::open(&path.clone().into()).expect("db");
        let mut conn = pool.get().expect("conn");
        let actor = crate::audit::Actor::system();
        for (name, email) in [
            ("Ada Lovelace", "countess@analytical.example"),
            (
                "Ren \"Star*\" O'Hara (NEAR) ^caret: AND-more",
                "ren@example.org",
            ),
        ] {
            let new = super::super::NewMember::parse(name, email).expect("valid");
            super::super::create(&mut conn, &actor, &new).expect("member");
        }
        let mut odd: Vec<String> = [
            "a\0b\0c",
            "\0",
            "\"",
            "\"\"\"",
            "a\"b",
            "\"love",
            "*",
            "lov*",
            "^",
            "^love",
            ":",
            "name:love",
            "{name email}: x",
            "(",
            "(love",
            ")",
            "NEAR",
            "NEAR(love lace)",
            "love AND lace",
            "love OR x",
            "NOT love",
            "-",
            "-love",
            "'",
            "   ",
            "🦀",
            "🦀🦀🦀",
            "e\u{301}",
            "\u{301}\u{301}\u{301}",
            "\u{10ffff}",
            "İİİ",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        odd.push("ab".repeat(2_000));
        odd.push("\"".repeat(500));
        odd.push("é".repeat(TERM_MAX));
        for q in &odd {
            members(&mut conn, q, None, 10).unwrap_or_else(|e| panic!("{q:?}: {e:?}"));
            members_by_name(&mut conn, q, None, 10).unwrap_or_else(|e| panic!("{q:?}: {e:?}"));
            holders(
                &mut conn,
                Audience::Everyone,
                &"no-such-badge".into(),
                q,
                None,
                10,
            )
            .unwrap_or_else(|e| panic!("{q:?}: {e:?}"));
        }
        let names =
            |hits: Vec<Hit>| -> Vec<String> { hits.into_iter().map(|h| h.member.name).collect() };
        let ren = ["Ren \"Star*\" O'Hara (NEAR) ^caret: AND-more"];
        for q in ["\"star*\"", "(near)", "^caret:", "and-more", "r\0en"] {
            assert_eq!(
                names(members_by_name(&mut conn, q, None, 10).expect("search")),
                ren,
                "{q:?}"
            );
        }
        for q in ["lov*", "love OR x", "NEAR(love lace)", "-love"] {
            assert!(
                members(&mut conn, q, None, 10).expect("search").is_empty(),
                "{q:?}"
            );
        }
        // E-mail addresses: found in the dashboard, never by the public search.
        for q in [
            "countess@analytical.example",
            "analytical",
            "co",
            "example.org",
        ] {
            assert!(
                !members(&mut conn, q, None, 10).expect("search").is_empty(),
                "{q:?}"
            );
            assert!(
                members_by_name(&mut conn, q, None, 10)
                    .expect("search")
                    .is_empty(),
                "{q:?}"
            );
        }
        assert_eq!(
            names(members_by_name(&mut conn, "love", None, 10).expect("search")),
            ["Ada Lovelace"]
        );
    }
}
