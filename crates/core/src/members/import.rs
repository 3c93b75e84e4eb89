//! CSV import of members: a header naming `name` and `email` columns, in any order, perhaps a
//! `badges` column (titles as the members export writes them: see `exports::read_titles`),
//! and perhaps others, which are not read (so a members export, `name,email,member_id,badges`,
//! imports as it is, badges and all). A dry run reports what each row would do and writes
//! nothing; an import writes every valid row, and gives every badge named that exists, in one
//! transaction.

use std::collections::HashMap;

use crate::db::DbConnection;

use super::{MemberError, NewMember};
use crate::audit::{self, Actor, Change};
use crate::badges::Badge;
use crate::error::Error;

/// Most rows one import may hold.
pub const MAX_ROWS: usize = 50_000;

#[derive(Debug, Clone, PartialEq)]
pub enum RowStatus {
    Created,
    AlreadyExists,
    Invalid(String),
}

#[derive(Debug, Clone, PartialEq)]
pub struct ImportRow {
    /// Line in the file (the header is line 1).
    pub line: u64,
    pub name: String,
    pub email: String,
    pub status: RowStatus,
    /// The badges its `badges` cell names that exist and can be given: given to the member
    /// (new or not) by the import.
    pub badges: Vec<String>,
    /// Titles that cannot be given, with why: no such badge, or one a rule gives.
    pub refused_badges: Vec<(String, BadgeRefusal)>,
}

/// Why a title in the `badges` column is not given.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BadgeRefusal {
    /// No badge has that title.
    Unknown,
    /// A rule gives that badge; only the rule changes who holds it.
    ByRule,
}

impl ImportRow {
    /// Whether the row is imported as it is: a new member, with every badge it names.
    pub fn is_plain(&self) -> bool {
        self.status == RowStatus::Created && self.refused_badges.is_empty()
    }
}

/// Why a whole file is refused; nothing is written.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum FileError {
    #[error("The file is empty.")]
    Empty,
    #[error("The first line must name the columns, with name and email among them (found: {0}).")]
    Header(String),
    #[error("Line {line}: {reason}")]
    Malformed { line: u64, reason: String },
    #[error("The file has more than {MAX_ROWS} rows; split it into smaller files.")]
    TooManyRows,
}

/// Reads the file; every row gets a status, but the database is not consulted yet.
fn read(text: &str) -> Result<Vec<ImportRow>, FileError> {
    let text = text.trim_start_matches('\u{feff}');
    if text.trim().is_empty() {
        return Err(FileError::Empty);
    }
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    let header = reader
        .headers()
        .map_err(|e| FileError::Malformed {
            line: 1,
            reason: e.to_string(),
        })?
        .iter()
        .map(str::to_lowercase)
        .collect::<Vec<_>>();
    let column = |name: &str| header.iter().position(|h| h == name);
    let (Some(name_at), Some(email_at)) = (column("name"), column("email")) else {
        return Err(FileError::Header(shown(&header.join(","))));
    };
    let badges_at = column("badges");
    let mut rows = Vec::new();
    let mut seen: HashMap<String, u64> = HashMap::new();
    for record in reader.records() {
        let record = record.map_err(|e| FileError::Malformed {
            line: e.position().map_or(0, |p| p.line()),
            reason: match e.kind() {
                csv::ErrorKind::UnequalLengths { len, .. } => format!(
                    "expected {} fields ({}), found {len}",
                    header.len(),
                    header.join(",")
                ),
                _ => e.to_string(),
            },
        })?;
        if rows.len() == MAX_ROWS {
            return Err(FileError::TooManyRows);
        }
        let line = record.position().map_or(0, |p| p.line());
        // An export guards would-be formulas with a `'`; the import takes it off again.
        let cell =
            |at: usize| crate::reports::original_cell(record.get(at).unwrap_or("")).to_string();
        let (name, email) = (cell(name_at), cell(email_at));
        let status = match NewMember::parse(&name, &email) {
            Err(errors) => RowStatus::Invalid(
                errors
                    .iter()
                    .map(|(f, m)| format!("{f} {m}"))
                    .collect::<Vec<_>>()
                    .join("; "),
            ),
            Ok(new) => match seen.get(&new.email) {
                Some(first) => RowStatus::Invalid(format!("e-mail repeats line {first}")),
                None => {
                    seen.insert(new.email, line);
                    RowStatus::Created
                }
            },
        };
        // A refused row is reported with what it held; control characters (which no valid row
        // has, and which PostgreSQL cannot store in the report) are shown as U+FFFD.
        let badges = match (&status, badges_at) {
            (RowStatus::Invalid(_), _) | (_, None) => Vec::new(),
            // Shown as the row's other cells are: a control character (NUL among them) can
            // be no badge's title, and must not reach the stored report.
            (_, Some(at)) => crate::exports::read_titles(&cell(at))
                .iter()
                .map(|title| shown(title))
                .collect(),
        };
        rows.push(ImportRow {
            line,
            name: shown(&name),
            email: shown(&email),
            status,
            badges,
            refused_badges: Vec::new(),
        });
    }
    Ok(rows)
}

fn shown(text: &str) -> String {
    text.chars()
        .map(|c| if c.is_control() { '\u{FFFD}' } else { c })
        .collect()
}

/// What importing `text` would do, row by row. Writes nothing.
pub fn plan(
    conn: &mut DbConnection,
    text: &str,
) -> Result<Result<Vec<ImportRow>, FileError>, Error> {
    let mut rows = match read(text) {
        Ok(rows) => rows,
        Err(e) => return Ok(Err(e)),
    };
    for row in rows.iter_mut().filter(|r| r.status == RowStatus::Created) {
        if super::find_by_email(conn, &row.email)?.is_some() {
            row.status = RowStatus::AlreadyExists;
        }
    }
    if rows.iter().any(|r| !r.badges.is_empty()) {
        let badges = Badges::load(conn)?;
        for row in &mut rows {
            let (given, refused): (Vec<_>, Vec<_>) = std::mem::take(&mut row.badges)
                .into_iter()
                .map(|title| match badges.find(&title) {
                    Ok(badge) => Ok(badge.title.clone()),
                    Err(why) => Err((title, why)),
                })
                .partition(Result::is_ok);
            row.badges = given.into_iter().filter_map(Result::ok).collect();
            row.refused_badges = refused.into_iter().filter_map(Result::err).collect();
        }
    }
    Ok(Ok(rows))
}

/// The site's badges by title (as titles compare: case and invisible characters aside).
struct Badges {
    by_title: HashMap<String, Badge>,
    automatic: std::collections::HashSet<crate::db::keys::BadgeKey>,
}

impl Badges {
    fn load(conn: &mut DbConnection) -> Result<Badges, Error> {
        Ok(Badges {
            by_title: crate::badges::store::list_in_order(conn)?
                .into_iter()
                .map(|b| (crate::text::comparison_key(&b.title), b))
                .collect(),
            automatic: crate::rules::store::automatic(conn)?,
        })
    }

    fn find(&self, title: &str) -> Result<&Badge, BadgeRefusal> {
        let badge = self
            .by_title
            .get(&crate::text::comparison_key(title))
            .ok_or(BadgeRefusal::Unknown)?;
        if self.automatic.contains(&badge.key) {
            return Err(BadgeRefusal::ByRule);
        }
        Ok(badge)
    }
}

/// Gives each badge the rows name to the members of those rows (new or not), a badge at a
/// time, the one way assignments are given (counts, events, audit, rules, mail).
fn give_badges(conn: &mut DbConnection, actor: &Actor, rows: &[ImportRow]) -> Result<(), Error> {
    let badges = Badges::load(conn)?;
    let mut emails: HashMap<String, Vec<&str>> = HashMap::new();
    for row in rows {
        if matches!(row.status, RowStatus::Invalid(_)) {
            continue;
        }
        for title in &row.badges {
            emails
                .entry(title.clone())
                .or_default()
                .push(row.email.as_str());
        }
    }
    for (title, emails) in emails {
        let Ok(badge) = badges.find(&title) else {
            continue;
        };
        super::assignments::apply_bulk_change(
            conn,
            actor,
            &badge.id,
            &emails.join("\n"),
            super::assignments::BulkChange::Give { until: None },
            None,
        )
        .map_err(Error::from)?;
    }
    Ok(())
}

/// From this many new members on, an import refreshes PostgreSQL's statistics of the members
/// table after its commit (see `db::analyze`); smaller ones leave that to autovacuum.
pub const ANALYZE_FROM: usize = 1_000;

/// Imports every valid new row in one transaction, with one audit entry; with `invite`, the
/// members it creates are invited by mail in that transaction too.
pub fn apply(
    conn: &mut DbConnection,
    actor: &Actor,
    text: &str,
    invite: bool,
) -> Result<Result<Vec<ImportRow>, FileError>, Error> {
    let outcome = write_rows(conn, actor, text, invite)?;
    if let Ok(rows) = &outcome
        && summary(rows).0 >= ANALYZE_FROM
        // The import is committed: a failure here only leaves the statistics to autovacuum.
        && let Err(e) = crate::db::analyze(conn, &["members"])
    {
        tracing::warn!("members imported, but analyzing the members table failed: {e:?}");
    }
    Ok(outcome)
}

fn write_rows(
    conn: &mut DbConnection,
    actor: &Actor,
    text: &str,
    invite: bool,
) -> Result<Result<Vec<ImportRow>, FileError>, Error> {
    crate::db::write(conn, |conn| {
        let rows = match plan(conn, text)? {
            Ok(rows) => rows,
            Err(e) => return Ok(Err(e)),
        };
        let mut created = Vec::new();
        for row in rows.iter().filter(|r| r.status == RowStatus::Created) {
            let new = NewMember {
                name: row.name.trim().to_string(),
                email: row.email.trim().to_lowercase(),
            };
            match super::insert(conn, &new, None, super::Joined::AddedByAdmin) {
                Ok(id) => created.push(id),
                Err(MemberError::App(e)) => return Err(e),
                Err(other) => return Err(Error::internal(other)),
            }
        }
        if !created.is_empty() {
            audit::record(
                conn,
                actor,
                Change {
                    action: "member.import",
                    target: "CSV import",
                    details: format!("{} members created from {} rows", created.len(), rows.len()),
                    ..Default::default()
                },
            )?;
        }
        crate::rules::follow_new_members(conn, &created)?;
        give_badges(conn, actor, &rows)?;
        if invite && !created.is_empty() {
            // Every member made here has no password and was never invited: each gets one.
            super::invitations::queue(conn, actor, super::invitations::Whom::Members(&created))?;
        }
        Ok(Ok(rows))
    })
}

/// Row counts by outcome: (created, already exists, invalid).
pub fn summary(rows: &[ImportRow]) -> (usize, usize, usize) {
    rows.iter().fold((0, 0, 0), |(c, a, i), r| match r.status {
        RowStatus::Created => (c + 1, a, i),
        RowStatus::AlreadyExists => (c, a + 1, i),
        RowStatus::Invalid(_) => (c, a, i + 1),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_rows_and_marks_invalid_and_repeated_ones() {
        let rows = read("\u{feff}Name,Email\nAda,ada@example.com\n,nobody@example.com\nAda Again,ADA@example.com\n\"Turing, Alan\",alan@example.com\n")
            .expect("readable");
        let statuses: Vec<&RowStatus> = rows.iter().map(|r| &r.status).collect();
        assert_eq!(statuses[0], &RowStatus::Created);
        assert!(matches!(statuses[1], RowStatus::Invalid(m) if m.contains("name")));
        assert!(matches!(statuses[2], RowStatus::Invalid(m) if m.contains("repeats line 2")));
        assert_eq!(rows[3].name, "Turing, Alan");
        assert_eq!(
            rows.iter().map(|r| r.line).collect::<Vec<_>>(),
            [2, 3, 4, 5]
        );
    }

    #[test]
    fn reads_a_members_export_whatever_the_column_order() {
        let rows = read(
            "name,email,member_id,badges\n'=HYPERLINK(\"x\"),ada@example.com,m-1,Mentor; Helper\n",
        )
        .expect("readable");
        assert_eq!(rows[0].name, "=HYPERLINK(\"x\")");
        assert_eq!(rows[0].status, RowStatus::Created);
        let rows = read("email,name\nalan@example.com,Alan\n").expect("readable");
        assert_eq!(
            (rows[0].name.as_str(), rows[0].email.as_str()),
            ("Alan", "alan@example.com")
        );
    }

    #[test]
    fn a_row_with_a_control_character_is_reported_not_the_whole_file() {
        let rows = read("name,email\nAda,ada@example.com\nNul\u{0}Name,nul@example.com\nBell,be\u{7}ll@example.com\n")
            .expect("readable");
        assert_eq!(rows[0].status, RowStatus::Created);
        assert!(matches!(&rows[1].status, RowStatus::Invalid(m) if m.contains("U+0000")));
        assert_eq!(rows[1].name, "Nul\u{FFFD}Name");
        assert!(matches!(&rows[2].status, RowStatus::Invalid(m) if m.contains("e-mail")));
        assert_eq!(rows[2].email, "be\u{FFFD}ll@example.com");
    }

    #[test]
    fn refuses_files_that_are_not_name_email_csv() {
        assert_eq!(read(""), Err(FileError::Empty));
        assert!(matches!(
            read("full name,mail\nx,y\n"),
            Err(FileError::Header(_))
        ));
        assert!(matches!(
            read("name,email\nAda,ada@example.com,extra\n"),
            Err(FileError::Malformed { line: 2, .. })
        ));
        let big = format!("name,email\n{}", "A,a@example.com\n".repeat(MAX_ROWS + 1));
        assert_eq!(read(&big), Err(FileError::TooManyRows));
    }
}
