//! The audit log: who changed what, written in the same transaction as the change.

use diesel::prelude::*;

use crate::clock::Timestamp;
use crate::db::DbConnection;
use crate::db::schema::{audit_log, audit_members};
use crate::error::Error;
use crate::ids::{BadgeId, MemberId};

/// Who made a change: what kind of caller, and which one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    kind: ActorKind,
    label: String,
}

/// The kinds of caller. Events keep the kind beside the label, so webhooks say who made a
/// change without reading it back out of the label.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ActorKind {
    Admin,
    Member,
    ApiKey,
    /// Insignia itself (start-up, background jobs), or a caller of an unknown kind.
    System,
}

impl ActorKind {
    /// As stored (`events.actor_kind`).
    pub fn as_str(self) -> &'static str {
        match self {
            ActorKind::Admin => "admin",
            ActorKind::Member => "member",
            ActorKind::ApiKey => "api_key",
            ActorKind::System => "system",
        }
    }

    /// From what was stored; an unknown kind is the system's.
    pub fn parse(stored: &str) -> ActorKind {
        match stored {
            "admin" => ActorKind::Admin,
            "member" => ActorKind::Member,
            "api_key" => ActorKind::ApiKey,
            _ => ActorKind::System,
        }
    }
}

impl Actor {
    pub fn admin(email: &str) -> Actor {
        Actor {
            kind: ActorKind::Admin,
            label: format!("admin {email}"),
        }
    }

    pub fn member(email: &str) -> Actor {
        Actor {
            kind: ActorKind::Member,
            label: format!("member {email}"),
        }
    }

    pub fn api_key(name: &str) -> Actor {
        Actor {
            kind: ActorKind::ApiKey,
            label: format!("API key “{name}”"),
        }
    }

    pub fn system() -> Actor {
        Actor {
            kind: ActorKind::System,
            label: "system".to_string(),
        }
    }

    /// Insignia taking away an assignment whose time was up.
    pub fn expired() -> Actor {
        Actor {
            kind: ActorKind::System,
            label: "expired".to_string(),
        }
    }

    /// The rule of an automatic badge, giving or taking it.
    pub fn rule(badge_title: &str) -> Actor {
        Actor {
            kind: ActorKind::System,
            label: format!("rule of “{badge_title}”"),
        }
    }

    /// As the audit log shows it: "admin owner@example.org", "API key “CI”".
    pub fn label(&self) -> &str {
        &self.label
    }

    pub fn kind(&self) -> ActorKind {
        self.kind
    }
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = audit_log)]
pub struct AuditEntry {
    pub id: i64,
    pub at: Timestamp,
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
    pub badge_id: Option<&'a BadgeId>,
    pub member_id: Option<&'a MemberId>,
    pub target: &'a str,
    pub details: String,
}

pub fn record(conn: &mut DbConnection, actor: &Actor, change: Change<'_>) -> Result<i64, Error> {
    let entry: i64 = diesel::insert_into(audit_log::table)
        .values((
            audit_log::at.eq(crate::clock::Timestamp::now()),
            audit_log::actor.eq(actor.label()),
            audit_log::action.eq(change.action),
            audit_log::badge_id.eq(change.badge_id),
            audit_log::member_id.eq(change.member_id),
            audit_log::target.eq(change.target),
            audit_log::details.eq(change.details),
        ))
        .returning(audit_log::id)
        .get_result(conn)?;
    if let Some(member) = change.member_id {
        diesel::insert_into(audit_members::table)
            .values((
                audit_members::member_id.eq(member),
                audit_members::entry.eq(entry),
            ))
            .execute(conn)?;
    }
    Ok(entry)
}

/// Puts entry `entry` into the history of every member in `rows`, a query yielding their
/// public ids: one statement however many members a bulk change touched.
pub fn touched_members(
    conn: &mut DbConnection,
    entry: i64,
    member_ids_sql: &str,
) -> Result<(), Error> {
    diesel::sql_query(conn.sql(&format!(
        "INSERT INTO audit_members (member_id, entry) SELECT id, ? FROM ({member_ids_sql}) AS t \
         WHERE true ON CONFLICT DO NOTHING"
    )))
    .bind::<diesel::sql_types::BigInt, _>(entry)
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
    conn: &mut DbConnection,
    filter: &Filter,
    limit: i64,
) -> Result<Vec<AuditEntry>, Error> {
    let before = filter.before.unwrap_or(i64::MAX);
    if let Some(member) = &filter.member {
        // A member's history is read from their own index: entries that touched them, alone
        // or in a bulk change, newest first.
        let mut query = audit_members::table
            .inner_join(audit_log::table.on(audit_log::id.eq(audit_members::entry)))
            .filter(audit_members::member_id.eq(member.clone()))
            .filter(audit_members::entry.lt(before))
            .order(audit_members::entry.desc())
            .select(AuditEntry::as_select())
            .limit(limit)
            .into_boxed();
        if let Some(badge) = &filter.badge {
            query = query.filter(audit_log::badge_id.eq(badge.clone()));
        }
        return Ok(query.load(conn)?);
    }
    let mut query = audit_log::table
        .select(AuditEntry::as_select())
        .order(audit_log::id.desc())
        .limit(limit)
        .into_boxed();
    if let Some(badge) = &filter.badge {
        query = query.filter(audit_log::badge_id.eq(badge.clone()));
    }
    // Always bounded, so the newest page is a seek too rather than a walk from the end.
    query = query.filter(audit_log::id.lt(before));
    Ok(query.load(conn)?)
}
