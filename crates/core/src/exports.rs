//! Taking data out as CSV: every member with their badges, one badge's holders, the audit log.
//!
//! An export is read a page at a time, each page a seek from where the last one ended (never
//! an OFFSET walk), so a million-member export starts at once and holds one page in memory.
//! Pages are separate reads: a change made during a long export shows up in it or not,
//! depending on where the export has got to, but no row is read twice or skipped.

use crate::clock;
use std::collections::HashMap;

use diesel::prelude::*;

use crate::audit::{self, AuditEntry};
use crate::badges::store::{self as badge_store, Badge};
use crate::db::DbConnection;
use crate::db::keys::{BadgeKey, MemberKey};
use crate::db::schema::{member_badges, members};
use crate::error::Error;
use crate::members::profile::Audience;
use crate::members::search;

/// Rows read per page: big enough that a page costs a few milliseconds, small enough that a
/// page of CSV stays well under a megabyte.
const PAGE: i64 = 2_000;

/// Between badge titles in the members export's `badges` cell. A `;` inside a title is
/// written twice, so the import reads every title back whole ([`read_titles`]).
pub const TITLE_SEPARATOR: &str = "; ";

/// The `badges` cell of a members export: the titles, `; ` between them, a `;` inside a title
/// doubled.
pub fn titles_cell<'a>(titles: impl IntoIterator<Item = &'a str>) -> String {
    titles
        .into_iter()
        .map(|title| title.replace(';', ";;"))
        .collect::<Vec<_>>()
        .join(TITLE_SEPARATOR)
}

/// The titles a `badges` cell names (as [`titles_cell`] writes them; `;;` is a `;` of the
/// title), each trimmed, empty ones left out.
pub fn read_titles(cell: &str) -> Vec<String> {
    let mut titles = Vec::new();
    let mut title = String::new();
    let mut chars = cell.chars().peekable();
    while let Some(c) = chars.next() {
        if c != ';' {
            title.push(c);
        } else if chars.peek() == Some(&';') {
            chars.next();
            title.push(';');
        } else {
            titles.push(std::mem::take(&mut title));
        }
    }
    titles.push(title);
    titles
        .into_iter()
        .map(|t| t.trim().to_string())
        .filter(|t| !t.is_empty())
        .collect()
}

pub enum Kind {
    /// Every member, oldest first, with their badges' titles in display order.
    Members,
    /// One badge's holders, newest assignment first (as its dashboard page lists them).
    Holders(Box<Badge>),
    /// The log, newest first, filtered like its page.
    Audit(audit::Filter),
}

/// Where the next page starts.
enum Cursor {
    Start,
    AfterMember(i64),
    BeforeAssignment(i64, i64),
    BeforeEntry(i64),
    Done,
}

/// One export under way.
pub struct Export {
    kind: Kind,
    cursor: Cursor,
    /// Members export: each badge's title and place in the display order, read once.
    titles: HashMap<BadgeKey, (usize, String)>,
}

impl Export {
    pub fn new(conn: &mut DbConnection, kind: Kind) -> Result<Export, Error> {
        let titles = match kind {
            Kind::Members => badge_store::list_in_order(conn)?
                .into_iter()
                .enumerate()
                .map(|(rank, b)| (b.key, (rank, b.title)))
                .collect(),
            _ => HashMap::new(),
        };
        Ok(Export {
            kind,
            cursor: Cursor::Start,
            titles,
        })
    }

    pub fn header(&self) -> &'static [&'static str] {
        match self.kind {
            Kind::Members => &["name", "email", "member_id", "badges"],
            Kind::Holders(_) => &[
                "name",
                "email",
                "member_id",
                "assigned_at",
                "assigned_by",
                "expires_at",
            ],
            Kind::Audit(_) => &[
                "at",
                "actor",
                "action",
                "target",
                "details",
                "badge_id",
                "member_id",
            ],
        }
    }

    /// The name the download is saved under, dated today.
    pub fn file_name(&self) -> String {
        let day = clock::Timestamp::now().date();
        match &self.kind {
            Kind::Members => format!("insignia-members-{day}.csv"),
            Kind::Holders(badge) => format!("insignia-{}-holders-{day}.csv", badge.slug),
            Kind::Audit(_) => format!("insignia-audit-{day}.csv"),
        }
    }

    /// What the audit log says was taken out.
    pub fn description(&self) -> String {
        match &self.kind {
            Kind::Members => "all members".to_string(),
            Kind::Holders(badge) => format!("holders of {}", badge.title),
            Kind::Audit(filter) => match (&filter.badge, &filter.member) {
                (None, None) => "the whole audit log".to_string(),
                _ => "the audit log, filtered".to_string(),
            },
        }
    }

    pub fn badge_id(&self) -> Option<&str> {
        match &self.kind {
            Kind::Holders(badge) => Some(badge.id.as_str()),
            Kind::Audit(filter) => filter.badge.as_deref(),
            Kind::Members => None,
        }
    }

    /// The next page of rows, or `None` once every row has been read.
    pub fn next_page(
        &mut self,
        conn: &mut DbConnection,
    ) -> Result<Option<Vec<Vec<String>>>, Error> {
        let (rows, next) = match (&self.kind, &self.cursor) {
            (_, Cursor::Done) => return Ok(None),
            (Kind::Members, cursor) => {
                let after = match cursor {
                    Cursor::AfterMember(key) => *key,
                    _ => i64::MIN,
                };
                self.members_after(conn, after)?
            }
            (Kind::Holders(badge), cursor) => {
                let after = match cursor {
                    Cursor::BeforeAssignment(at, key) => Some((*at, *key)),
                    _ => None,
                };
                holders_before(conn, badge, after)?
            }
            (Kind::Audit(filter), cursor) => {
                let before = match cursor {
                    Cursor::BeforeEntry(id) => Some(*id),
                    _ => filter.before,
                };
                entries_before(conn, filter, before)?
            }
        };
        self.cursor = next;
        Ok(Some(rows))
    }

    fn members_after(
        &self,
        conn: &mut DbConnection,
        after: i64,
    ) -> Result<(Vec<Vec<String>>, Cursor), Error> {
        let page: Vec<(MemberKey, String, String, String)> = members::table
            .filter(members::key.gt(after))
            .order(members::key.asc())
            .select((members::key, members::name, members::email, members::id))
            .limit(PAGE)
            .load(conn)?;
        let (Some(first), Some(last)) = (page.first(), page.last()) else {
            return Ok((Vec::new(), Cursor::Done));
        };
        // The page's badges in one range read of the (member, badge) index.
        let held: Vec<(MemberKey, BadgeKey)> = member_badges::table
            .filter(member_badges::member_key.between(first.0, last.0))
            .select((member_badges::member_key, member_badges::badge_key))
            .load(conn)?;
        let mut by_member: HashMap<MemberKey, Vec<&(usize, String)>> = HashMap::new();
        for (member, badge) in &held {
            if let Some(title) = self.titles.get(badge) {
                by_member.entry(*member).or_default().push(title);
            }
        }
        let next = next_or_done(&page, |m| Cursor::AfterMember(m.0.0));
        let rows = page
            .into_iter()
            .map(|(key, name, email, id)| {
                let mut titles = by_member.remove(&key).unwrap_or_default();
                titles.sort_unstable_by_key(|(rank, _)| *rank);
                let badges = titles_cell(titles.iter().map(|(_, title)| title.as_str()));
                vec![name, email, id, badges]
            })
            .collect();
        Ok((rows, next))
    }
}

/// The cursor after a page: `Done` when the page came back short, so the last read is not
/// an empty one.
fn next_or_done<T>(page: &[T], cursor: impl Fn(&T) -> Cursor) -> Cursor {
    match page.last() {
        Some(last) if page.len() as i64 == PAGE => cursor(last),
        _ => Cursor::Done,
    }
}

fn holders_before(
    conn: &mut DbConnection,
    badge: &Badge,
    after: Option<(i64, i64)>,
) -> Result<(Vec<Vec<String>>, Cursor), Error> {
    let page = search::holders(conn, Audience::Everyone, &badge.id, "", after, PAGE)?;
    let next = next_or_done(&page, |h| {
        Cursor::BeforeAssignment(h.at_millis, h.member_key)
    });
    let rows = page
        .into_iter()
        .map(|h| {
            vec![
                h.member.name,
                h.member.email,
                h.member.id.into_string(),
                clock::format_millis(h.at_millis),
                h.assigned_by,
                h.expires_at.map(clock::format_millis).unwrap_or_default(),
            ]
        })
        .collect();
    Ok((rows, next))
}

fn entries_before(
    conn: &mut DbConnection,
    filter: &audit::Filter,
    before: Option<i64>,
) -> Result<(Vec<Vec<String>>, Cursor), Error> {
    let filter = audit::Filter {
        before,
        ..filter.clone()
    };
    let page: Vec<AuditEntry> = audit::page(conn, &filter, PAGE)?;
    let next = next_or_done(&page, |e| Cursor::BeforeEntry(e.id));
    let rows = page
        .into_iter()
        .map(|e| {
            vec![
                e.at.to_string(),
                e.actor,
                e.action,
                e.target,
                e.details,
                e.badge_id.unwrap_or_default(),
                e.member_id.unwrap_or_default(),
            ]
        })
        .collect();
    Ok((rows, next))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn titles_with_the_separator_are_read_back_whole() {
        let titles = ["Gold", "Q&A; answers", "Ends with;", ";Starts", "Plain"];
        let cell = titles_cell(titles);
        assert_eq!(cell, "Gold; Q&A;; answers; Ends with;;; ;;Starts; Plain");
        assert_eq!(read_titles(&cell), titles);
        assert_eq!(read_titles(""), Vec::<String>::new());
        assert_eq!(read_titles(" Gold ;Silver;; "), ["Gold", "Silver;"]);
    }
}
