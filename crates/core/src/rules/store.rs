//! Saving, removing and reading a badge's rule, with every check a rule must pass: its own
//! criteria, the badges it names, no loop through other rules, and a badge members cannot add
//! themselves. Saving runs the rule over the whole site in the same transaction; every change
//! is audited.

use diesel::prelude::*;

use super::criteria::{Problem, Rule};
use super::run::{self, Outcome, Preview};
use super::site::{Fact, Site};
use crate::audit::{self, Actor, Change};
use crate::badges::{Badge, BadgeError, store as badge_store};
use crate::clock::Timestamp;
use crate::db::DbConnection;
use crate::db::keys::BadgeKey;
use crate::db::schema::badge_rules;
use crate::error::Error;
use crate::ids::BadgeId;

#[derive(Debug, thiserror::Error)]
pub enum RuleError {
    #[error("badge not found")]
    BadgeNotFound,
    #[error("{}", .0.iter().map(|p| p.message.clone()).collect::<Vec<_>>().join("; "))]
    Invalid(Vec<Problem>),
    #[error("the rule names badges that do not exist: {}", .0.join(", "))]
    UnknownBadges(Vec<String>),
    /// The titles along the loop, the rule's own badge first and last.
    #[error("this rule would depend on itself: {}", .0.iter().map(|t| format!("“{t}”")).collect::<Vec<_>>().join(" → "))]
    Loop(Vec<String>),
    #[error(
        "“{0}” is one members add to their own profile; turn that off before giving it by a rule"
    )]
    SelfAssignable(String),
    #[error(transparent)]
    App(#[from] Error),
}

impl From<diesel::result::Error> for RuleError {
    fn from(e: diesel::result::Error) -> Self {
        RuleError::App(e.into())
    }
}

impl From<RuleError> for Error {
    fn from(e: RuleError) -> Self {
        match e {
            RuleError::BadgeNotFound => Error::NotFound,
            RuleError::Invalid(_) | RuleError::UnknownBadges(_) => Error::Invalid(e.to_string()),
            RuleError::Loop(_) | RuleError::SelfAssignable(_) => Error::Conflict(e.to_string()),
            RuleError::App(app) => app,
        }
    }
}

fn badge(conn: &mut DbConnection, id: &BadgeId) -> Result<Badge, RuleError> {
    badge_store::find(conn, id).map_err(|e| match e {
        BadgeError::NotFound => RuleError::BadgeNotFound,
        other => RuleError::App(other.into()),
    })
}

/// The rule of a badge, if it has one.
pub fn of(conn: &mut DbConnection, badge: BadgeKey) -> Result<Option<Rule>, Error> {
    let stored: Option<(String, bool)> = badge_rules::table
        .find(badge)
        .select((badge_rules::criteria, badge_rules::take_away))
        .first(conn)
        .optional()?;
    stored
        .map(|(criteria, take_away)| Rule::from_stored(&criteria, take_away))
        .transpose()
}

/// The rule of a badge by its public id (`Err(NotFound)`: no such badge).
pub fn find(conn: &mut DbConnection, id: &BadgeId) -> Result<Option<Rule>, RuleError> {
    let badge = badge(conn, id)?;
    Ok(of(conn, badge.key)?)
}

/// The badge and its rule in words, if it has one: for the dashboard (`public` false, with
/// the e-mail domains) or the public badge page.
pub fn words(
    conn: &mut DbConnection,
    badge: BadgeKey,
    public: bool,
) -> Result<Option<String>, Error> {
    let Some(rule) = of(conn, badge)? else {
        return Ok(None);
    };
    let site = Site {
        badges: Site::all_badges(conn)?,
        rules: Vec::new(),
    };
    Ok(Some(rule.words(&site.titles(), public)))
}

/// A refusal when a hand change (the picker, the bulk box, `/me`, the API) names a badge a
/// rule gives.
pub fn refuse_if_automatic(conn: &mut DbConnection, badge: &Badge) -> Result<(), Error> {
    if badge_store::given_by_rule(conn, badge.key)? {
        return Err(Error::Automatic(badge.title.clone()));
    }
    Ok(())
}

/// A refusal when `badge` is going and other badges' rules read it: those rules first.
pub fn refuse_if_read(conn: &mut DbConnection, badge: &Badge) -> Result<(), Error> {
    let site = Site::load(conn)?;
    let readers: Vec<String> = site
        .rules
        .iter()
        .filter(|r| r.badge != badge.key && site.reads(&r.rule).contains(&Fact::Holding(badge.key)))
        .map(|r| format!("“{}”", site.title(r.badge)))
        .collect();
    if readers.is_empty() {
        return Ok(());
    }
    Err(Error::Conflict(format!(
        "“{}” is read by the rules of {}: change those rules first",
        badge.title,
        crate::text::joined(&readers, "and")
    )))
}

/// The site with `rule` in place for `badge`, after every check a rule must pass.
fn checked_site(conn: &mut DbConnection, badge: &Badge, rule: &Rule) -> Result<Site, RuleError> {
    rule.check().map_err(RuleError::Invalid)?;
    if badge.self_assignable {
        return Err(RuleError::SelfAssignable(badge.title.clone()));
    }
    let mut site = Site::load(conn)?;
    if site.badges.is_empty() {
        site.badges = Site::all_badges(conn)?;
    }
    let unknown: Vec<String> = rule
        .badges()
        .into_iter()
        .filter(|id| site.key_of(id).is_none())
        .map(|id| id.to_string())
        .collect();
    if !unknown.is_empty() {
        return Err(RuleError::UnknownBadges(unknown));
    }
    let site = site.with_rule(badge.key, Some(rule));
    if let Some(path) = site.loop_through(badge.key) {
        return Err(RuleError::Loop(
            path.iter().map(|k| site.title(*k).to_string()).collect(),
        ));
    }
    Ok(site)
}

/// What saving `rule` on the badge would do, changing nothing.
pub fn preview(conn: &mut DbConnection, id: &BadgeId, rule: &Rule) -> Result<Preview, RuleError> {
    let badge = badge(conn, id)?;
    let site = checked_site(conn, &badge, rule)?;
    let mut preview = run::preview(conn, &site, badge.key, rule)?;
    preview.words = rule.words(&site.titles(), false);
    Ok(preview)
}

/// Saves the badge's rule and runs it over the whole site (then the rules that read the
/// badge, for the members it changed), in one transaction. Returns what the rule did.
pub fn save(
    conn: &mut DbConnection,
    actor: &Actor,
    id: &BadgeId,
    rule: &Rule,
) -> Result<Outcome, RuleError> {
    crate::db::write(conn, |conn| {
        let badge = badge(conn, id)?;
        let site = checked_site(conn, &badge, rule)?;
        let before = of(conn, badge.key)?;
        let now = Timestamp::now();
        if before.is_some() {
            diesel::update(badge_rules::table.find(badge.key))
                .set((
                    badge_rules::criteria.eq(rule.to_json()),
                    badge_rules::take_away.eq(rule.take_away),
                    badge_rules::updated_at.eq(now),
                ))
                .execute(conn)?;
        } else {
            diesel::insert_into(badge_rules::table)
                .values((
                    badge_rules::badge_key.eq(badge.key),
                    badge_rules::criteria.eq(rule.to_json()),
                    badge_rules::take_away.eq(rule.take_away),
                    badge_rules::created_at.eq(now),
                    badge_rules::updated_at.eq(now),
                ))
                .execute(conn)?;
        }
        audit::record(
            conn,
            actor,
            Change {
                action: if before.is_some() {
                    "rule.update"
                } else {
                    "rule.create"
                },
                badge_id: Some(&badge.id),
                target: &badge.title,
                details: rule.words(&site.titles(), false),
                ..Default::default()
            },
        )?;
        if before.is_none() {
            // Its holders no longer count it among their badges given by hand.
            hand_count_changed(conn, &site, badge.key)?;
        }
        Ok(run::run_site_wide(conn, &site, badge.key, now)?)
    })
}

/// Removes the badge's rule: its holders keep the badge, as if given by hand (audited).
/// Returns whether there was a rule.
pub fn delete(conn: &mut DbConnection, actor: &Actor, id: &BadgeId) -> Result<bool, RuleError> {
    crate::db::write(conn, |conn| {
        let badge = badge(conn, id)?;
        let removed = diesel::delete(badge_rules::table.find(badge.key)).execute(conn)? > 0;
        if removed {
            audit::record(
                conn,
                actor,
                Change {
                    action: "rule.delete",
                    badge_id: Some(&badge.id),
                    target: &badge.title,
                    details: format!(
                        "its {} keep it, as if given by hand",
                        crate::text::count_of(badge.member_count as usize, "holder", "holders")
                    ),
                    ..Default::default()
                },
            )?;
            let site = Site::load(conn)?;
            hand_count_changed(conn, &site, badge.key)?;
        }
        Ok(removed)
    })
}

/// A badge turned automatic or back: rules counting badges given by hand run for its holders.
fn hand_count_changed(conn: &mut DbConnection, site: &Site, badge: BadgeKey) -> Result<(), Error> {
    let counts = site
        .rules
        .iter()
        .any(|r| r.badge != badge && site.reads(&r.rule).contains(&Fact::HandCount));
    if counts {
        run::scope_holders(conn, badge)?;
        run::follow_scope(
            conn,
            site,
            std::collections::HashSet::from([Fact::HandCount]),
        )?;
    }
    Ok(())
}

/// Drops the rule of a badge being deleted.
pub fn forget(conn: &mut DbConnection, badge: BadgeKey) -> Result<(), Error> {
    diesel::delete(badge_rules::table.find(badge)).execute(conn)?;
    Ok(())
}

/// The badges rules give (a few): what hand paths leave out of their choices.
pub fn automatic(conn: &mut DbConnection) -> Result<std::collections::HashSet<BadgeKey>, Error> {
    Ok(badge_rules::table
        .select(badge_rules::badge_key)
        .load::<BadgeKey>(conn)?
        .into_iter()
        .collect())
}
