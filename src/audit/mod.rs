//! The audit log: who changed what, written in the same transaction as the change.

use diesel::prelude::*;
use diesel::sqlite::SqliteConnection;

use crate::db::schema::audit_log;
use crate::error::AppError;

/// Who made a change, as the log shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor(String);

impl Actor {
    pub fn admin(email: &str) -> Actor {
        Actor(format!("admin {email}"))
    }

    pub fn member(email: &str) -> Actor {
        Actor(format!("member {email}"))
    }

    pub fn api_key(name: &str) -> Actor {
        Actor(format!("API key “{name}”"))
    }

    pub fn system() -> Actor {
        Actor("system".to_string())
    }

    pub fn label(&self) -> &str {
        &self.0
    }
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = audit_log)]
pub struct AuditEntry {
    pub id: i64,
    pub at: String,
    pub actor: String,
    pub action: String,
    pub badge_id: Option<String>,
    pub target: String,
    pub details: String,
    pub member_id: Option<String>,
}

/// What a change was about, for the log line.
#[derive(Default)]
pub struct Change<'a> {
    pub action: &'a str,
    pub badge_id: Option<&'a str>,
    pub member_id: Option<&'a str>,
    pub target: &'a str,
    pub details: String,
}

pub fn record(
    conn: &mut SqliteConnection,
    actor: &Actor,
    change: Change<'_>,
) -> Result<(), AppError> {
    diesel::insert_into(audit_log::table)
        .values((
            audit_log::at.eq(crate::db::now()),
            audit_log::actor.eq(actor.label()),
            audit_log::action.eq(change.action),
            audit_log::badge_id.eq(change.badge_id),
            audit_log::member_id.eq(change.member_id),
            audit_log::target.eq(change.target),
            audit_log::details.eq(change.details),
        ))
        .execute(conn)?;
    Ok(())
}

/// Which entries to show.
#[derive(Debug, Default, Clone)]
pub struct Filter {
    pub badge: Option<String>,
    pub member: Option<String>,
    /// The id of the last entry already shown (entries are paged newest first).
    pub before: Option<i64>,
}

/// One page of the log, newest first.
pub fn page(
    conn: &mut SqliteConnection,
    filter: &Filter,
    limit: i64,
) -> Result<Vec<AuditEntry>, AppError> {
    let mut query = audit_log::table
        .select(AuditEntry::as_select())
        .order(audit_log::id.desc())
        .limit(limit)
        .into_boxed();
    if let Some(badge) = &filter.badge {
        query = query.filter(audit_log::badge_id.eq(badge.clone()));
    }
    if let Some(member) = &filter.member {
        query = query.filter(audit_log::member_id.eq(member.clone()));
    }
    // Always bounded, so the newest page is a seek too rather than a walk from the end.
    query = query.filter(audit_log::id.lt(filter.before.unwrap_or(i64::MAX)));
    Ok(query.load(conn)?)
}
