//! A rule as one SQL condition on a member (`m`, a row of `members`): every criterion an
//! indexed lookup on the member's row or their assignments, so that a run over a whole site is
//! one set-based statement and a run for one member a handful of index probes.

use diesel::query_builder::{BoxedSqlQuery, SqlQuery};
use diesel::sql_types::{BigInt, Bool, Text};

use super::criteria::{Criterion, Rule};
use super::site::Site;
use crate::clock::Timestamp;
use crate::db::DbConnection;
use crate::db::MultiBackend;
use crate::db::keys::BadgeKey;
use crate::error::Error;
use crate::members::validity::in_force_sql;

#[derive(Debug, Clone)]
pub enum Value {
    Int(i64),
    Text(String),
    Bool(bool),
}

/// SQL with `?` placeholders, and what binds to them, in order.
#[derive(Debug, Clone, Default)]
pub struct Fragment {
    pub sql: String,
    pub binds: Vec<Value>,
}

impl Fragment {
    fn new(sql: impl Into<String>, binds: Vec<Value>) -> Fragment {
        Fragment {
            sql: sql.into(),
            binds,
        }
    }
}

pub type Query = BoxedSqlQuery<'static, MultiBackend, SqlQuery>;

/// A statement made of fragments: `parts` joined, each with its binds, ready to run.
pub fn statement(conn: &DbConnection, parts: &[Fragment]) -> Query {
    let text: String = parts.iter().map(|p| p.sql.as_str()).collect();
    let mut query = diesel::sql_query(conn.sql(&text)).into_boxed();
    for value in parts.iter().flat_map(|p| &p.binds) {
        query = match value {
            Value::Int(n) => query.bind::<BigInt, _>(*n),
            Value::Text(t) => query.bind::<Text, _>(t.clone()),
            Value::Bool(b) => query.bind::<Bool, _>(*b),
        };
    }
    query
}

pub fn text(sql: impl Into<String>) -> Fragment {
    Fragment::new(sql, Vec::new())
}

pub fn int(sql: impl Into<String>, n: i64) -> Fragment {
    Fragment::new(sql, vec![Value::Int(n)])
}

fn marks(n: usize) -> String {
    vec!["?"; n].join(", ")
}

/// Whether member `m` holds one of `keys` now (an assignment whose time is up does not count).
fn holds_one_of(keys: &[BadgeKey], now: Timestamp) -> Fragment {
    let mut binds: Vec<Value> = keys.iter().map(|k| Value::Int(k.0)).collect();
    binds.push(Value::Int(now.millis()));
    Fragment::new(
        format!(
            "EXISTS (SELECT 1 FROM member_badges h WHERE h.badge_key IN ({}) \
             AND h.member_key = m.key AND {})",
            marks(keys.len()),
            in_force_sql("h")
        ),
        binds,
    )
}

/// Whether member `m` has an assignment of the badge at all (in force or not): what a run
/// gives to (those without) and takes from (those with).
pub fn has_row(badge: BadgeKey) -> Fragment {
    int(
        "EXISTS (SELECT 1 FROM member_badges g WHERE g.badge_key = ? AND g.member_key = m.key)",
        badge.0,
    )
}

/// The rule as a condition on `m`. Badges it names must exist (saving checks that).
pub fn condition(site: &Site, rule: &Rule, now: Timestamp) -> Result<Fragment, Error> {
    let key = |id: &crate::ids::BadgeId| {
        site.key_of(id)
            .ok_or_else(|| Error::Internal(format!("a rule names badge {id}, which is gone")))
    };
    let keys = |ids: &[crate::ids::BadgeId]| ids.iter().map(key).collect::<Result<Vec<_>, _>>();
    let mut parts: Vec<Fragment> = Vec::new();
    for criterion in &rule.criteria {
        parts.push(match criterion {
            Criterion::JoinedBefore(day) => int("m.created_at < ?", day.start().millis()),
            Criterion::JoinedAfter(day) => int("m.created_at >= ?", day.end().millis()),
            Criterion::JoinedAtLeastDaysAgo(days) => int(
                "m.created_at <= ?",
                (now - time::Duration::days(*days)).millis(),
            ),
            Criterion::EmailDomainIn(domains) => Fragment::new(
                format!(
                    "m.email_trusted AND m.email_domain IN ({})",
                    marks(domains.len())
                ),
                domains.iter().cloned().map(Value::Text).collect(),
            ),
            Criterion::HoldsAll(ids) => {
                let held: Vec<Fragment> = keys(ids)?
                    .into_iter()
                    .map(|k| holds_one_of(&[k], now))
                    .collect();
                joined(&held, " AND ")
            }
            Criterion::HoldsAny(ids) => holds_one_of(&keys(ids)?, now),
            Criterion::HoldsNone(ids) => {
                let any = holds_one_of(&keys(ids)?, now);
                Fragment::new(format!("NOT {}", any.sql), any.binds)
            }
            Criterion::HeldForAtLeastDays { badge_id, days } => Fragment::new(
                format!(
                    "EXISTS (SELECT 1 FROM member_badges h WHERE h.badge_key = ? \
                     AND h.member_key = m.key AND h.assigned_at <= ? AND {})",
                    in_force_sql("h")
                ),
                vec![
                    Value::Int(key(badge_id)?.0),
                    Value::Int((now - time::Duration::days(*days)).millis()),
                    Value::Int(now.millis()),
                ],
            ),
            Criterion::BadgeCountAtLeast(n) => {
                let automatic = site.automatic_keys();
                if automatic.is_empty() {
                    int("m.badge_count >= ?", *n)
                } else {
                    let mut binds: Vec<Value> = automatic.iter().map(|k| Value::Int(k.0)).collect();
                    binds.push(Value::Int(*n));
                    Fragment::new(
                        format!(
                            "m.badge_count - (SELECT count(*) FROM member_badges c \
                             WHERE c.member_key = m.key AND c.badge_key IN ({})) >= ?",
                            marks(automatic.len())
                        ),
                        binds,
                    )
                }
            }
            Criterion::SignedUp(yes) => Fragment::new("m.signed_up = ?", vec![Value::Bool(*yes)]),
        });
    }
    if parts.is_empty() {
        return Ok(text("1 = 1"));
    }
    Ok(joined(&parts, " AND "))
}

/// `(a) AND (b) …`, in parentheses.
fn joined(parts: &[Fragment], with: &str) -> Fragment {
    let sql = parts
        .iter()
        .map(|p| format!("({})", p.sql))
        .collect::<Vec<_>>()
        .join(with);
    Fragment::new(
        format!("({sql})"),
        parts.iter().flat_map(|p| p.binds.clone()).collect(),
    )
}
