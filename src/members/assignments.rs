//! Giving badges to members and taking them back. Every change keeps both stored counts
//! (`badges.member_count`, `members.badge_count`) exact in the same transaction, and writes
//! one audit entry.

use std::collections::HashSet;

use diesel::prelude::*;
use diesel::sqlite::SqliteConnection;

use super::Member;
use crate::audit::{self, Actor, Change};
use crate::badges::{Badge, store as badge_store};
use crate::db::schema::{badges, member_badges, members};
use crate::error::AppError;

/// Most members one bulk request may name.
pub const BULK_MAX: usize = 50_000;
/// SQLite binds at most 32,766 parameters; lookups go in chunks well below that.
const CHUNK: usize = 500;

#[derive(Debug, thiserror::Error)]
pub enum AssignError {
    #[error("badge not found")]
    BadgeNotFound,
    #[error("members not found")]
    MembersNotFound(Vec<String>),
    #[error("too many members in one request (at most {BULK_MAX})")]
    TooMany,
    #[error(transparent)]
    App(#[from] AppError),
}

impl From<diesel::result::Error> for AssignError {
    fn from(e: diesel::result::Error) -> Self {
        AssignError::App(e.into())
    }
}

impl From<AssignError> for AppError {
    fn from(e: AssignError) -> Self {
        match e {
            AssignError::BadgeNotFound => AppError::NotFound,
            AssignError::MembersNotFound(ids) => {
                AppError::BadRequest(format!("Unknown members: {}", ids.join(", ")))
            }
            AssignError::TooMany => AppError::BadRequest(e.to_string()),
            AssignError::App(app) => app,
        }
    }
}

/// What an assignment did.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Assigned {
    /// Members who got the badge now.
    pub added: Vec<String>,
    /// Members who already held it (nothing changed for them).
    pub already: Vec<String>,
}

fn unique(ids: &[String]) -> Vec<String> {
    let mut seen = HashSet::new();
    ids.iter()
        .filter(|id| seen.insert(id.as_str()))
        .cloned()
        .collect()
}

fn badge(conn: &mut SqliteConnection, badge_id: &str) -> Result<Badge, AssignError> {
    badge_store::find(conn, badge_id).map_err(|e| match e {
        crate::badges::BadgeError::NotFound => AssignError::BadgeNotFound,
        other => AssignError::App(other.into()),
    })
}

/// Which of `ids` exist as members.
fn existing_members(
    conn: &mut SqliteConnection,
    ids: &[String],
) -> Result<HashSet<String>, AppError> {
    let mut found = HashSet::new();
    for chunk in ids.chunks(CHUNK) {
        let rows: Vec<String> = members::table
            .filter(members::id.eq_any(chunk))
            .select(members::id)
            .load(conn)?;
        found.extend(rows);
    }
    Ok(found)
}

/// Which of `ids` already hold the badge.
pub fn holding_any(
    conn: &mut SqliteConnection,
    badge_id: &str,
    ids: &[String],
) -> Result<HashSet<String>, AppError> {
    let mut found = HashSet::new();
    for chunk in ids.chunks(CHUNK) {
        let rows: Vec<String> = member_badges::table
            .filter(member_badges::badge_id.eq(badge_id))
            .filter(member_badges::member_id.eq_any(chunk))
            .select(member_badges::member_id)
            .load(conn)?;
        found.extend(rows);
    }
    Ok(found)
}

/// How many names an audit entry spells out.
const SHOWN: usize = 5;

/// The first names of `total` members, and how many more there are: `names` is at most
/// [`SHOWN`] of them (see [`names_of`]), `total` the real count.
fn listed(names: &[String], total: usize) -> String {
    let shown = &names[..names.len().min(SHOWN)];
    let mut text = shown.join(", ");
    let more = total.saturating_sub(shown.len());
    if more > 0 {
        text.push_str(&format!(" and {more} more"));
    }
    text
}

/// Gives a badge to members, all or nothing: if any id is not a member, nothing is assigned.
/// Members who already hold it are left as they are.
pub fn assign(
    conn: &mut SqliteConnection,
    actor: &Actor,
    badge_id: &str,
    member_ids: &[String],
) -> Result<Assigned, AssignError> {
    let ids = unique(member_ids);
    if ids.len() > BULK_MAX {
        return Err(AssignError::TooMany);
    }
    crate::db::write(conn, |conn| {
        let badge = badge(conn, badge_id)?;
        let known = existing_members(conn, &ids)?;
        let missing: Vec<String> = ids
            .iter()
            .filter(|id| !known.contains(*id))
            .cloned()
            .collect();
        if !missing.is_empty() {
            return Err(AssignError::MembersNotFound(missing));
        }
        let now = crate::db::now();
        let mut outcome = Assigned::default();
        for id in &ids {
            let inserted = diesel::insert_or_ignore_into(member_badges::table)
                .values((
                    member_badges::badge_id.eq(badge_id),
                    member_badges::member_id.eq(id),
                    member_badges::assigned_at.eq(&now),
                    member_badges::assigned_by.eq(actor.label()),
                ))
                .execute(conn)?;
            if inserted == 1 {
                diesel::update(members::table.find(id))
                    .set(members::badge_count.eq(members::badge_count + 1))
                    .execute(conn)?;
                outcome.added.push(id.clone());
            } else {
                outcome.already.push(id.clone());
            }
        }
        if !outcome.added.is_empty() {
            diesel::update(badges::table.find(badge_id))
                .set(badges::member_count.eq(badges::member_count + outcome.added.len() as i64))
                .execute(conn)?;
            let names = names_of(conn, &outcome.added)?;
            audit::record(
                conn,
                actor,
                Change {
                    action: "badge.assign",
                    badge_id: Some(badge_id),
                    member_id: single(&outcome.added),
                    target: &badge.title,
                    details: format!(
                        "gave it to {} member(s): {}",
                        outcome.added.len(),
                        listed(&names, outcome.added.len())
                    ),
                },
            )?;
        }
        Ok(outcome)
    })
}

/// Takes a badge back from members; ids that do not hold it are ignored. Returns who lost it.
pub fn unassign(
    conn: &mut SqliteConnection,
    actor: &Actor,
    badge_id: &str,
    member_ids: &[String],
) -> Result<Vec<String>, AssignError> {
    let ids = unique(member_ids);
    if ids.len() > BULK_MAX {
        return Err(AssignError::TooMany);
    }
    crate::db::write(conn, |conn| {
        let badge = badge(conn, badge_id)?;
        let mut removed = Vec::new();
        for id in &ids {
            let deleted =
                diesel::delete(member_badges::table.find((badge_id, id))).execute(conn)?;
            if deleted == 1 {
                diesel::update(members::table.find(id))
                    .set(members::badge_count.eq(members::badge_count - 1))
                    .execute(conn)?;
                removed.push(id.clone());
            }
        }
        if !removed.is_empty() {
            diesel::update(badges::table.find(badge_id))
                .set(badges::member_count.eq(badges::member_count - removed.len() as i64))
                .execute(conn)?;
            let names = names_of(conn, &removed)?;
            audit::record(
                conn,
                actor,
                Change {
                    action: "badge.unassign",
                    badge_id: Some(badge_id),
                    member_id: single(&removed),
                    target: &badge.title,
                    details: format!(
                        "took it from {} member(s): {}",
                        removed.len(),
                        listed(&names, removed.len())
                    ),
                },
            )?;
        }
        Ok(removed)
    })
}

/// Gives one member several badges (`give`), or takes them back, in one transaction.
/// Returns how many actually changed.
pub fn change_member_badges(
    conn: &mut SqliteConnection,
    actor: &Actor,
    member_id: &str,
    badge_ids: &[String],
    give: bool,
) -> Result<usize, AssignError> {
    crate::db::write(conn, |conn| {
        super::find(conn, member_id).map_err(|_| AssignError::App(AppError::NotFound))?;
        let member = [member_id.to_string()];
        let mut changed = 0;
        for badge_id in badge_ids {
            changed += if give {
                assign(conn, actor, badge_id, &member)?.added.len()
            } else {
                unassign(conn, actor, badge_id, &member)?.len()
            };
        }
        Ok(changed)
    })
}

/// A member adds or removes a self-assignable badge on their own profile. Any other badge
/// is refused, whatever the request says.
pub fn set_own_badge(
    conn: &mut SqliteConnection,
    member: &Member,
    badge_id: &str,
    wanted: bool,
) -> Result<bool, AssignError> {
    crate::db::write(conn, |conn| {
        let badge = badge(conn, badge_id)?;
        if !badge.self_assignable {
            return Err(AssignError::App(AppError::Forbidden(format!(
                "“{}” is given by the site's admins; it cannot be added or removed on your profile.",
                badge.title
            ))));
        }
        let actor = Actor::member(&member.email);
        let ids = [member.id.clone()];
        Ok(if wanted {
            !assign(conn, &actor, badge_id, &ids)?.added.is_empty()
        } else {
            !unassign(conn, &actor, badge_id, &ids)?.is_empty()
        })
    })
}

/// Badges held by each of `member_ids`, in display order (one indexed query for a page).
pub fn badges_of_many(
    conn: &mut SqliteConnection,
    member_ids: &[String],
) -> Result<std::collections::HashMap<String, Vec<Badge>>, AppError> {
    let rows: Vec<(String, Badge)> = member_badges::table
        .inner_join(badges::table)
        .filter(member_badges::member_id.eq_any(member_ids))
        .order(badge_store::display_order())
        .select((member_badges::member_id, Badge::as_select()))
        .load(conn)?;
    let mut by_member: std::collections::HashMap<String, Vec<Badge>> =
        std::collections::HashMap::new();
    for (member_id, badge) in rows {
        by_member.entry(member_id).or_default().push(badge);
    }
    Ok(by_member)
}

fn single(ids: &[String]) -> Option<&str> {
    match ids {
        [one] => Some(one.as_str()),
        _ => None,
    }
}

/// The names of the first few of `ids`, enough for [`listed`]: never all of a bulk change.
fn names_of(conn: &mut SqliteConnection, ids: &[String]) -> Result<Vec<String>, AppError> {
    let shown: Vec<String> = ids.iter().take(SHOWN).cloned().collect();
    Ok(members::table
        .filter(members::id.eq_any(&shown))
        .select(members::name)
        .load(conn)?)
}

/// One page of a badge's holders, oldest assignment first, and how many hold it in all
/// (the stored count, so no scan).
pub fn holders_oldest_first(
    conn: &mut SqliteConnection,
    badge_id: &str,
    offset: i64,
    limit: i64,
) -> Result<(Vec<String>, i64), AssignError> {
    let badge = badge(conn, badge_id)?;
    let ids = member_badges::table
        .filter(member_badges::badge_id.eq(badge_id))
        .order((
            member_badges::assigned_at.asc(),
            member_badges::member_id.asc(),
        ))
        .select(member_badges::member_id)
        .offset(offset)
        .limit(limit)
        .load(conn)?;
    Ok((ids, badge.member_count))
}

/// A member's badges in display order (one indexed join).
pub fn badges_of(conn: &mut SqliteConnection, member_id: &str) -> Result<Vec<Badge>, AppError> {
    Ok(member_badges::table
        .inner_join(badges::table)
        .filter(member_badges::member_id.eq(member_id))
        .order(badge_store::display_order())
        .select(Badge::as_select())
        .load(conn)?)
}

// ---------------------------------------------------------------- bulk box

/// What one pasted line would do (or did).
#[derive(Debug, Clone, PartialEq)]
pub enum LineStatus {
    Assigned,
    AlreadyHeld,
    NotFound,
    Invalid(String),
}

#[derive(Debug, Clone, PartialEq)]
pub struct BulkLine {
    pub number: usize,
    pub text: String,
    pub status: LineStatus,
    pub member: Option<Member>,
}

/// A reference to a member as pasted: an id or an e-mail.
enum Reference {
    Id(String),
    Email(String),
}

fn parse_line(line: &str) -> Result<Reference, String> {
    if let Ok(id) = uuid::Uuid::parse_str(line) {
        return Ok(Reference::Id(id.hyphenated().to_string()));
    }
    if line.contains('@') {
        return crate::email::parse(line).map(Reference::Email);
    }
    Err("is neither an e-mail address nor a member id".to_string())
}

/// Works out, line by line, what pasting these e-mails or ids would do. Writes nothing.
pub fn plan_bulk(
    conn: &mut SqliteConnection,
    badge_id: &str,
    text: &str,
) -> Result<Vec<BulkLine>, AssignError> {
    let lines: Vec<(usize, &str)> = text
        .lines()
        .enumerate()
        .map(|(i, l)| (i + 1, l.trim()))
        .filter(|(_, l)| !l.is_empty())
        .collect();
    if lines.len() > BULK_MAX {
        return Err(AssignError::TooMany);
    }
    badge(conn, badge_id)?;
    let mut report = Vec::with_capacity(lines.len());
    let mut seen = HashSet::new();
    for (number, line) in lines {
        let member = match parse_line(line) {
            Err(reason) => Err(LineStatus::Invalid(reason)),
            Ok(Reference::Id(id)) => super::find(conn, &id).map_err(|_| LineStatus::NotFound),
            Ok(Reference::Email(email)) => {
                super::find_by_email(conn, &email)?.ok_or(LineStatus::NotFound)
            }
        };
        let (status, member) = match member {
            Err(status) => (status, None),
            Ok(m) if !seen.insert(m.id.clone()) => (
                LineStatus::Invalid("repeats an earlier line".into()),
                Some(m),
            ),
            Ok(m) => {
                let held = holding_any(conn, badge_id, std::slice::from_ref(&m.id))?;
                let status = if held.is_empty() {
                    LineStatus::Assigned
                } else {
                    LineStatus::AlreadyHeld
                };
                (status, Some(m))
            }
        };
        report.push(BulkLine {
            number,
            text: line.to_string(),
            status,
            member,
        });
    }
    Ok(report)
}

/// Plans and assigns in one transaction; the report says what happened to each line.
pub fn apply_bulk(
    conn: &mut SqliteConnection,
    actor: &Actor,
    badge_id: &str,
    text: &str,
) -> Result<Vec<BulkLine>, AssignError> {
    crate::db::write(conn, |conn| {
        let report = plan_bulk(conn, badge_id, text)?;
        let ids: Vec<String> = report
            .iter()
            .filter(|l| l.status == LineStatus::Assigned)
            .filter_map(|l| l.member.as_ref().map(|m| m.id.clone()))
            .collect();
        assign(conn, actor, badge_id, &ids)?;
        Ok(report)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn listed_counts_the_members_beyond_the_names_shown_from_the_real_total() {
        let names: Vec<String> = ["A", "B", "C", "D", "E"].map(String::from).to_vec();
        assert_eq!(listed(&names, 1_000), "A, B, C, D, E and 995 more");
        assert_eq!(listed(&names, 5), "A, B, C, D, E");
        assert_eq!(listed(&names[..2], 2), "A, B");
        assert_eq!(listed(&names[..1], 1), "A");
        // A name that could not be loaded is still counted.
        assert_eq!(listed(&names[..4], 5), "A, B, C, D and 1 more");
    }
}
