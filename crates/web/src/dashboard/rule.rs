//! A badge's rule in the dashboard (`/dashboard/badges/{id}/rule`): a form of criteria, no
//! SQL; "Preview" says what saving would do without changing anything, "Save rule" saves and
//! runs it, "Remove rule" turns the badge back to one given by hand. The rules themselves are
//! the core's (`insignia_core::rules`); this module reads the form into one and back.

use actix_session::Session;
use actix_web::{HttpRequest, HttpResponse, http::StatusCode, web};
use askama::Template;
use serde::{Deserialize, Serialize};

use crate::blocking;
use crate::error::AppError;
use crate::extract::CurrentAdmin;
use crate::forms::{self, Errors, HtmlForm};
use crate::layout::Layout;
use crate::respond::{render_with, see_other};
use crate::session::{self as cookie, FlashKind};
use crate::state::AppState;
use crate::views::{count_of, grouped};
use insignia_core::badges::{Badge, store as badge_store};
use insignia_core::ids::BadgeId;
use insignia_core::rules::criteria::{self, Criterion, Day, Rule};
use insignia_core::rules::{Preview, RuleError, store};

/// The form as typed: every field text, so a refused form comes back as it was sent.
#[derive(Debug, Default, Clone, Deserialize, Serialize)]
#[serde(default)]
pub struct RuleForm {
    #[serde(deserialize_with = "forms::first")]
    joined_before: String,
    #[serde(deserialize_with = "forms::first")]
    joined_after: String,
    #[serde(deserialize_with = "forms::first")]
    joined_days: String,
    #[serde(deserialize_with = "forms::first")]
    email_domains: String,
    holds_all: Vec<String>,
    holds_any: Vec<String>,
    holds_none: Vec<String>,
    #[serde(deserialize_with = "forms::first")]
    held_badge: String,
    #[serde(deserialize_with = "forms::first")]
    held_days: String,
    #[serde(deserialize_with = "forms::first")]
    badge_count: String,
    /// "", `signed_up` or `added`.
    #[serde(deserialize_with = "forms::first")]
    joined_how: String,
    #[serde(deserialize_with = "forms::checkbox")]
    revoke: bool,
    /// `preview` or `save`.
    #[serde(deserialize_with = "forms::first", skip_serializing)]
    action: String,
}

fn whole_number(text: &str) -> Result<i64, String> {
    text.trim()
        .parse::<i64>()
        .map_err(|_| "must be a whole number".to_string())
}

impl RuleForm {
    /// The rule it describes, or what is wrong beside each field.
    fn read(&self) -> Result<Rule, Errors> {
        let mut errors = Errors::default();
        let mut criteria = Vec::new();
        // Which field each criterion came from, for the rule's own checks.
        let mut fields: Vec<&'static str> = Vec::new();
        let mut push = |c: Criterion, field: &'static str| {
            criteria.push(c);
            fields.push(field);
        };
        for (field, text, before) in [
            ("joined_before", &self.joined_before, true),
            ("joined_after", &self.joined_after, false),
        ] {
            if text.trim().is_empty() {
                continue;
            }
            match Day::parse(text) {
                Some(day) if before => push(Criterion::JoinedBefore(day), field),
                Some(day) => push(Criterion::JoinedAfter(day), field),
                None => errors.add(field, "must be a day, such as 2026-01-01"),
            }
        }
        if !self.joined_days.trim().is_empty() {
            match whole_number(&self.joined_days) {
                Ok(n) => push(Criterion::JoinedAtLeastDaysAgo(n), "joined_days"),
                Err(m) => errors.add("joined_days", m),
            }
        }
        let domains: Vec<&str> = self
            .email_domains
            .split(|c: char| c == ',' || c.is_whitespace())
            .filter(|d| !d.is_empty())
            .collect();
        if !domains.is_empty() {
            match domains
                .iter()
                .map(|d| criteria::parse_domain(d))
                .collect::<Result<Vec<_>, _>>()
            {
                Ok(list) => push(Criterion::EmailDomainIn(list), "email_domains"),
                Err(m) => errors.add("email_domains", m),
            }
        }
        let ids = |list: &[String]| list.iter().map(|id| BadgeId::from(id.as_str())).collect();
        if !self.holds_all.is_empty() {
            push(Criterion::HoldsAll(ids(&self.holds_all)), "holds_all");
        }
        if !self.holds_any.is_empty() {
            push(Criterion::HoldsAny(ids(&self.holds_any)), "holds_any");
        }
        if !self.holds_none.is_empty() {
            push(Criterion::HoldsNone(ids(&self.holds_none)), "holds_none");
        }
        match (self.held_badge.trim(), self.held_days.trim()) {
            ("", "") => {}
            ("", _) => errors.add("held_badge", "choose the badge held"),
            (_, "") => errors.add("held_days", "say for how many days"),
            (badge, days) => match whole_number(days) {
                Ok(days) => push(
                    Criterion::HeldForAtLeastDays {
                        badge_id: BadgeId::from(badge),
                        days,
                    },
                    "held_days",
                ),
                Err(m) => errors.add("held_days", m),
            },
        }
        if !self.badge_count.trim().is_empty() {
            match whole_number(&self.badge_count) {
                Ok(n) => push(Criterion::BadgeCountAtLeast(n), "badge_count"),
                Err(m) => errors.add("badge_count", m),
            }
        }
        match self.joined_how.as_str() {
            "" => {}
            "signed_up" => push(Criterion::SignedUp(true), "joined_how"),
            "added" => push(Criterion::SignedUp(false), "joined_how"),
            _ => errors.add("joined_how", "choose one of the offered answers"),
        }
        let rule = Rule {
            criteria,
            take_away: self.revoke,
        };
        if let Err(problems) = rule.check() {
            for p in problems {
                let field = p.index.and_then(|i| fields.get(i)).unwrap_or(&"criteria");
                errors.add(field, p.message);
            }
        }
        if errors.is_empty() {
            Ok(rule)
        } else {
            Err(errors)
        }
    }

    /// The form showing a stored rule.
    fn of(rule: &Rule) -> RuleForm {
        let mut form = RuleForm {
            revoke: rule.take_away,
            ..RuleForm::default()
        };
        let ids = |list: &[BadgeId]| list.iter().map(|id| id.to_string()).collect::<Vec<_>>();
        for criterion in &rule.criteria {
            match criterion {
                Criterion::JoinedBefore(day) => form.joined_before = day.to_string(),
                Criterion::JoinedAfter(day) => form.joined_after = day.to_string(),
                Criterion::JoinedAtLeastDaysAgo(n) => form.joined_days = n.to_string(),
                Criterion::EmailDomainIn(list) => form.email_domains = list.join(", "),
                Criterion::HoldsAll(list) => form.holds_all.extend(ids(list)),
                Criterion::HoldsAny(list) => form.holds_any.extend(ids(list)),
                Criterion::HoldsNone(list) => form.holds_none.extend(ids(list)),
                Criterion::HeldForAtLeastDays { badge_id, days } => {
                    form.held_badge = badge_id.to_string();
                    form.held_days = days.to_string();
                }
                Criterion::BadgeCountAtLeast(n) => form.badge_count = n.to_string(),
                Criterion::SignedUp(true) => form.joined_how = "signed_up".into(),
                Criterion::SignedUp(false) => form.joined_how = "added".into(),
            }
        }
        form
    }

    /// Whether `list` (one of the badge lists) has `id` ticked.
    pub fn ticked(&self, list: &str, id: &BadgeId) -> bool {
        let list = match list {
            "holds_all" => &self.holds_all,
            "holds_any" => &self.holds_any,
            _ => &self.holds_none,
        };
        list.iter().any(|t| id == t)
    }
}

/// What a preview shows.
pub struct PreviewView {
    pub words: String,
    pub summary: String,
    pub give_names: Option<String>,
    pub take_names: Option<String>,
    pub events: String,
}

fn named(names: &[String], total: i64) -> Option<String> {
    if names.is_empty() {
        return None;
    }
    let more = total - names.len() as i64;
    let mut text = names.join(", ");
    if more > 0 {
        text.push_str(&format!(" and {} more", grouped(more as usize)));
    }
    Some(text)
}

impl PreviewView {
    fn new(preview: &Preview) -> PreviewView {
        PreviewView {
            words: preview.words.clone(),
            summary: format!(
                "Matches {}: {} would get it, {} would lose it.",
                count_of(preview.matching as usize, "member", "members"),
                grouped(preview.would_give as usize),
                grouped(preview.would_take as usize)
            ),
            give_names: named(&preview.give_names, preview.would_give),
            take_names: named(&preview.take_names, preview.would_take),
            events: count_of(preview.events() as usize, "webhook event", "webhook events"),
        }
    }
}

#[derive(Template)]
#[template(path = "dashboard/badges/rule.html")]
struct RulePage {
    layout: Layout,
    badge: Badge,
    form: RuleForm,
    errors: Errors,
    /// A refusal of the whole rule (a loop, a badge gone).
    problem: Option<String>,
    /// The other badges, for the lists of badges held.
    others: Vec<(BadgeId, String)>,
    /// The saved rule in words.
    current: Option<String>,
    preview: Option<PreviewView>,
}

struct Loaded {
    badge: Badge,
    others: Vec<(BadgeId, String)>,
    current: Option<Rule>,
    current_words: Option<String>,
}

async fn load(state: &AppState, id: &BadgeId) -> Result<Loaded, AppError> {
    let id = id.clone();
    blocking::run(&state.pool, move |conn| {
        let badge = badge_store::find(conn, &id)?;
        let others = badge_store::list_in_order(conn)?
            .into_iter()
            .filter(|b| b.id != badge.id)
            .map(|b| (b.id, b.title))
            .collect();
        let current = store::of(conn, badge.key)?;
        let current_words = store::words(conn, badge.key, false)?;
        Ok(Loaded {
            badge,
            others,
            current,
            current_words,
        })
    })
    .await
}

fn page(
    session: &Session,
    admin: &CurrentAdmin,
    path: &str,
    loaded: Loaded,
    form: RuleForm,
) -> RulePage {
    RulePage {
        layout: Layout::new(
            session,
            Some(&admin.0),
            format!("Rule of {}", loaded.badge.title),
            path,
        ),
        badge: loaded.badge,
        form,
        errors: Errors::default(),
        problem: None,
        others: loaded.others,
        current: loaded.current_words,
        preview: None,
    }
}

pub async fn show(
    state: web::Data<AppState>,
    session: Session,
    admin: CurrentAdmin,
    path: web::Path<BadgeId>,
    req: HttpRequest,
) -> Result<HttpResponse, AppError> {
    let loaded = load(&state, &path).await?;
    let kept: Option<RuleForm> = admin.take_draft(&state.pool, req.path()).await?;
    let form = kept.unwrap_or_else(|| {
        loaded
            .current
            .as_ref()
            .map(RuleForm::of)
            .unwrap_or_default()
    });
    render_with(
        StatusCode::OK,
        &page(&session, &admin, req.path(), loaded, form),
    )
}

/// "Preview" or "Save rule".
pub async fn submit(
    state: web::Data<AppState>,
    session: Session,
    admin: CurrentAdmin,
    path: web::Path<BadgeId>,
    form: HtmlForm<RuleForm>,
    req: HttpRequest,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    let form = form.into_inner();
    admin
        .require_elevation_keeping(&state.pool, req.path(), &form)
        .await?;
    let loaded = load(&state, &id).await?;
    let mut shown = page(&session, &admin, req.path(), loaded, form.clone());
    let rule = match form.read() {
        Ok(rule) => rule,
        Err(errors) => {
            shown.errors = errors;
            return render_with(StatusCode::UNPROCESSABLE_ENTITY, &shown);
        }
    };
    let saving = form.action == "save";
    let (who, lookup) = (admin.actor(), id.clone());
    let outcome = blocking::run(&state.pool, move |conn| {
        Ok(if saving {
            store::save(conn, &who, &lookup, &rule).map(Ok)
        } else {
            store::preview(conn, &lookup, &rule).map(Err)
        })
    })
    .await?;
    match outcome {
        Ok(Ok(done)) => {
            cookie::flash(
                &session,
                FlashKind::Success,
                format!(
                    "Rule saved. It gave the badge to {} and took it from {}.",
                    count_of(done.given as usize, "member", "members"),
                    count_of(done.taken as usize, "member", "members")
                ),
            );
            Ok(see_other(&format!("/dashboard/badges/{id}")))
        }
        Ok(Err(preview)) => {
            shown.preview = Some(PreviewView::new(&preview));
            render_with(StatusCode::OK, &shown)
        }
        Err(e @ (RuleError::Loop(_) | RuleError::SelfAssignable(_))) => {
            shown.problem = Some(format!("Nothing was saved: {e}."));
            render_with(StatusCode::CONFLICT, &shown)
        }
        Err(e @ (RuleError::UnknownBadges(_) | RuleError::Invalid(_))) => {
            shown.problem = Some(format!(
                "Nothing was saved: {e}. Reload the page and try again."
            ));
            render_with(StatusCode::UNPROCESSABLE_ENTITY, &shown)
        }
        Err(e) => Err(e.into()),
    }
}

/// "Remove rule": the holders keep the badge, as if given by hand.
pub async fn remove(
    state: web::Data<AppState>,
    session: Session,
    admin: CurrentAdmin,
    path: web::Path<BadgeId>,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    let back = format!("/dashboard/badges/{id}");
    admin.require_elevation(&format!("{back}/rule"))?;
    let (who, lookup) = (admin.actor(), id.clone());
    let removed = blocking::run(&state.pool, move |conn| {
        Ok(store::delete(conn, &who, &lookup)?)
    })
    .await?;
    cookie::flash(
        &session,
        FlashKind::Success,
        if removed {
            "The rule is removed. Its holders keep the badge, as if given by hand; give and take it by hand from now on."
        } else {
            "This badge had no rule."
        },
    );
    Ok(see_other(&back))
}
