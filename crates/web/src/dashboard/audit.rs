//! The audit log page: newest first, paged by id, filterable by badge.

use actix_session::Session;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use crate::blocking;
use crate::error::AppError;
use crate::extract::CurrentAdmin;
use crate::layout::Layout;
use crate::paging::page_of;
use crate::respond::{render, url_encode};
use crate::state::AppState;
use crate::views::short_time;
use insignia_core::audit::{self, AuditEntry};
use insignia_core::badges::store;
use insignia_core::members;

const PAGE_SIZE: i64 = 50;

#[derive(Deserialize)]
pub struct AuditQuery {
    badge: Option<String>,
    member: Option<String>,
    before: Option<i64>,
}

struct BadgeOption {
    id: insignia_core::ids::BadgeId,
    title: String,
}

#[derive(Template)]
#[template(path = "dashboard/audit.html")]
struct AuditPage {
    layout: Layout,
    entries: Vec<(AuditEntry, String)>,
    badges: Vec<BadgeOption>,
    badge: String,
    /// The member the log is filtered by: (id, name).
    member: Option<(String, String)>,
    older_link: Option<String>,
    newest_link: Option<String>,
    /// The whole log under the same filters, as CSV.
    export_link: String,
}

/// A badge or member filter from the address: empty means none. An id with a control
/// character is nobody's; kept as U+FFFD it matches no entry (and PostgreSQL could not be
/// asked about NUL).
pub(super) fn id_filter(value: Option<String>) -> Option<String> {
    value
        .filter(|v| !v.is_empty())
        .map(|v| v.replace(char::is_control, "\u{FFFD}"))
}

pub async fn list(
    state: web::Data<AppState>,
    session: Session,
    admin: CurrentAdmin,
    query: web::Query<AuditQuery>,
    req: HttpRequest,
) -> Result<HttpResponse, AppError> {
    let query = query.into_inner();
    let badge = id_filter(query.badge);
    let member_id = id_filter(query.member);
    let filter = audit::Filter {
        badge: badge.clone(),
        member: member_id.clone(),
        before: query.before,
    };
    let (entries, badges, member) = blocking::run(&state.pool, move |conn| {
        // One extra row tells whether an older page exists.
        let entries = audit::page(conn, &filter, PAGE_SIZE + 1)?;
        let member = filter.member.as_ref().map(|id| {
            let name = members::find(conn, &id.as_str().into())
                .map(|m| m.name)
                .unwrap_or_else(|_| "a deleted member".to_string());
            (id.clone(), name)
        });
        Ok((entries, store::list_in_order(conn)?, member))
    })
    .await?;
    let (entries, has_older) = page_of(entries, PAGE_SIZE as usize);
    let badge_param = [
        ("badge", badge.as_deref()),
        ("member", member_id.as_deref()),
    ]
    .iter()
    .filter_map(|(k, v)| v.map(|v| format!("{k}={}&", url_encode(v))))
    .collect::<String>();
    let older_link = match (has_older, entries.last()) {
        (true, Some(last)) => Some(format!("/dashboard/audit?{badge_param}before={}", last.id)),
        _ => None,
    };
    let newest_link = query
        .before
        .map(|_| format!("/dashboard/audit?{}", badge_param.trim_end_matches('&')));
    render(&AuditPage {
        layout: Layout::new(&session, Some(&admin.0), "Audit log", req.path()),
        entries: entries
            .into_iter()
            .map(|e| {
                let at = short_time(e.at);
                (e, at)
            })
            .collect(),
        badges: badges
            .into_iter()
            .map(|b| BadgeOption {
                id: b.id,
                title: b.title,
            })
            .collect(),
        badge: badge.unwrap_or_default(),
        member,
        older_link,
        export_link: format!(
            "/dashboard/audit/export.csv?{}",
            badge_param.trim_end_matches('&')
        ),
        newest_link,
    })
}

/// An audit action as a person says it ("badge.assign" → "gave a badge"); an action this
/// version does not know is shown as stored.
pub fn action_words(action: &str) -> &str {
    match action {
        "badge.create" => "created a badge",
        "badge.update" => "changed a badge",
        "badge.delete" => "deleted a badge",
        "badge.reorder" => "reordered the badges",
        "badge.assign" => "gave a badge",
        "badge.unassign" => "took a badge back",
        "badge.renew" => "renewed a badge",
        "rule.create" => "gave a badge a rule",
        "rule.update" => "changed a badge's rule",
        "rule.delete" => "removed a badge's rule",
        "badge.permissions" => "changed which pages a badge opens",
        "member.create" => "added a member",
        "member.delete" => "deleted a member",
        "member.import" => "imported members",
        "member.sign_up" => "signed up",
        "member.password_link" => "made a password link",
        "member.update" => "changed a member's details",
        "member.password" => "changed their password",
        "page.create" => "created a page",
        "page.update" => "changed a page",
        "page.delete" => "deleted a page",
        "page.unlocks" => "changed which badges open a page",
        "profile.hide" => "hid a badge from their profile",
        "profile.show" => "showed a badge on their profile",
        "profile.pin" => "pinned a badge",
        "profile.unpin" => "unpinned a badge",
        "api_key.create" => "created an API key",
        "api_key.revoke" => "revoked an API key",
        "webhook.create" => "added a webhook",
        "webhook.update" => "changed a webhook",
        "webhook.delete" => "deleted a webhook",
        "webhook.rotate" => "rotated a webhook's secret",
        "webhook.test" => "sent a test event",
        "webhook.redeliver" => "sent an event again",
        "export.csv" => "exported a CSV file",
        "admin.create" => "added an admin",
        "admin.remove" => "removed an admin",
        "admin.password" => "set their admin password",
        other => other,
    }
}
