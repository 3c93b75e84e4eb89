//! The badge page: details, holders (paged, searchable), the member picker and the bulk box.

use actix_session::Session;
use actix_web::{HttpRequest, HttpResponse, http::StatusCode, web};
use askama::Template;
use insignia_core::clock;
use serde::{Deserialize, Serialize};

use crate::blocking;
use crate::error::AppError;
use crate::extract::CurrentAdmin;
use crate::forms::{self, HtmlForm};
use crate::layout::Layout;
use crate::paging::TimeCursor;
use crate::respond::{render, render_with, see_other, url_encode};
use crate::session::{self as cookie, FlashKind};
use crate::state::AppState;
use crate::views::{BadgeView, count_of as grouped_count, grouped, short_time};
use insignia_core::badges::{Badge, Icon, store as badge_store};
use insignia_core::error::Error;
use insignia_core::ids::{BadgeId, MemberId};
use insignia_core::members::assignments::{self, AssignError, BulkLine, LineStatus};
use insignia_core::members::profile::Audience;
use insignia_core::members::search::{self, Hit, Holder, HolderPage};
use insignia_core::members::undo;
use insignia_core::reports;

use super::confirm::Words;
use crate::paging::DASHBOARD_PAGE as PAGE_SIZE;

/// How many members the picker shows for one search.
const PICKER_SIZE: i64 = 20;

#[derive(Deserialize, Default)]
pub struct BadgePageQuery {
    /// Holder search.
    #[serde(default)]
    q: String,
    /// Cursor of the last holder shown: `<assigned at, Unix ms>|<member key>` (Older).
    after: Option<String>,
    /// Cursor of the first holder shown (Newer).
    before: Option<String>,
    /// Where in the list the page starts, counted from 1: only for saying "51–100 of …".
    from: Option<usize>,
    /// Picker search (the no-JavaScript way to find members to add).
    #[serde(default)]
    find: String,
    /// A bulk report to show (the answer to the bulk box, at its own address).
    report: Option<String>,
}

pub struct HolderRow {
    pub holder: Holder,
    /// When they got it, as stored (RFC 3339), and as shown.
    pub at: String,
    pub since: String,
    /// When it ends, if the badge is valid for a time: as stored, and as shown.
    pub until: Option<(String, String)>,
}

/// Counts for the bulk report's summary line.
#[derive(Default, Serialize, Deserialize)]
pub struct BulkSummary {
    pub assigned: usize,
    pub already: usize,
    /// Of those already holding it, the ones whose end is renewed from now.
    pub renewed: usize,
    pub removed: usize,
    pub not_held: usize,
    pub not_found: usize,
    pub invalid: usize,
}

/// A line that needs attention, as the report's table shows it.
#[derive(Serialize, Deserialize)]
pub struct ProblemLine {
    pub number: usize,
    pub text: String,
    pub result: String,
}

/// What a bulk report's page shows. Kept with the report (as JSON), so the report's own
/// address shows it again: the answer to the form is a redirect there (a reload or a bookmark
/// shows the report; it does not send the list again).
#[derive(Default, Serialize, Deserialize)]
pub struct BulkReport {
    pub dry_run: bool,
    /// Whether it takes the badge away (else gives it).
    pub take: bool,
    /// "Remove all holders" (no lines were pasted).
    pub all_holders: bool,
    pub summary: BulkSummary,
    /// The first lines that need attention (not found, invalid, repeated).
    pub problems: Vec<ProblemLine>,
    /// Lines needing attention beyond those shown.
    pub more_problems: usize,
    /// How many lines were pasted (blank ones aside).
    pub lines: usize,
    /// The last day typed beside the box (a give's), applied with a dry run's list.
    pub until: String,
    /// The change this report's Undo reverses.
    pub change: Option<String>,
    /// The report's id (its download, and a dry run's kept list); set when shown.
    #[serde(skip)]
    pub id: String,
    /// Whether the change can still be undone; set when shown.
    #[serde(skip)]
    pub undo: UndoState,
    /// Whether the pasted list was too long to show in the box again; set when shown.
    #[serde(skip)]
    pub list_not_shown: bool,
}

/// Where a report's change stands.
#[derive(Default, PartialEq)]
pub enum UndoState {
    /// Nothing to undo (a dry run, or a change that changed nobody).
    #[default]
    Nothing,
    Offered,
    Undone,
    /// Kept no longer (undo lasts a day).
    TooOld,
}

impl BulkReport {
    fn new(
        dry_run: bool,
        take: bool,
        lines: &[BulkLine],
        until: &str,
        change: Option<String>,
    ) -> BulkReport {
        let mut summary = BulkSummary::default();
        for line in lines {
            match line.status {
                LineStatus::Assigned => summary.assigned += 1,
                LineStatus::AlreadyHeld => summary.already += 1,
                LineStatus::Renewed => {
                    summary.already += 1;
                    summary.renewed += 1;
                }
                LineStatus::Removed => summary.removed += 1,
                LineStatus::NotHeld => summary.not_held += 1,
                LineStatus::NotFound => summary.not_found += 1,
                LineStatus::Invalid(_) => summary.invalid += 1,
            }
        }
        let problems: Vec<&BulkLine> = lines.iter().filter(|l| l.status.is_problem()).collect();
        BulkReport {
            dry_run,
            take,
            summary,
            more_problems: problems.len().saturating_sub(reports::SHOWN_ON_PAGE),
            problems: problems
                .into_iter()
                .take(reports::SHOWN_ON_PAGE)
                .map(|l| ProblemLine {
                    number: l.number,
                    text: l.text.clone(),
                    result: status_text(&l.status, &dry_run),
                })
                .collect(),
            lines: lines.len(),
            until: until.to_string(),
            change,
            ..BulkReport::default()
        }
    }

    /// How many the dry run's button would change.
    pub fn to_change(&self) -> usize {
        if self.take {
            self.summary.removed
        } else {
            self.summary.assigned
        }
    }

    pub fn download(&self) -> String {
        format!("/dashboard/reports/{}", self.id)
    }

    pub fn attention_count(&self) -> usize {
        self.problems.len() + self.more_problems
    }
}

/// Runs the bulk box on `text`: a dry run, or the change, kept for `admin_id` to undo; keeps
/// its report for a day and returns the report's id (or why the box refused the list).
#[allow(clippy::too_many_arguments)]
pub fn keep_bulk_report(
    conn: &mut insignia_core::db::DbConnection,
    who: &insignia_core::audit::Actor,
    admin_id: &str,
    badge_id: &BadgeId,
    text: &str,
    change: assignments::BulkChange,
    until_text: &str,
    dry_run: bool,
) -> Result<Result<String, AssignError>, AppError> {
    let lines = if dry_run {
        assignments::plan_bulk_change(conn, badge_id, text, change).map(|l| (l, None))
    } else {
        assignments::apply_bulk_change(conn, who, badge_id, text, change, Some(admin_id))
    };
    let (lines, undo) = match lines {
        Ok(done) => done,
        Err(e) => return Ok(Err(e)),
    };
    let take = !change.gives();
    let kind = if take {
        reports::Kind::BulkTake
    } else {
        reports::Kind::Bulk
    };
    let (csv, attention) = bulk_csv(&lines, dry_run)?;
    let input = dry_run.then_some(text);
    let kept = reports::keep(conn, admin_id, kind, badge_id.as_str(), input, csv)?;
    let report = BulkReport::new(dry_run, take, &lines, until_text, undo);
    let page = serde_json::to_string(&report).map_err(Error::internal)?;
    reports::keep_page(conn, &kept, &page, attention)?;
    Ok(Ok(kept))
}

/// The whole report of a bulk run, one CSV row per pasted line; and the lines that need
/// attention alone.
fn bulk_csv(lines: &[BulkLine], dry_run: bool) -> Result<(String, String), AppError> {
    let header = ["line", "text", "result", "member_id", "name"];
    let row = |l: &BulkLine| {
        let (id, name) = l
            .member
            .as_ref()
            .map(|m| (m.id.to_string(), m.name.clone()))
            .unwrap_or_default();
        vec![
            l.number.to_string(),
            l.text.clone(),
            status_text(&l.status, &dry_run),
            id,
            name,
        ]
    };
    let all = reports::csv_of(&header, lines.iter().map(row))?;
    let attention = reports::csv_of(
        &header[..3],
        lines
            .iter()
            .filter(|l| l.status.is_problem())
            .map(|l| row(l).into_iter().take(3).collect()),
    )?;
    Ok((all, attention))
}

/// Words for a line's outcome; a dry run says what would happen. (Templates pass references.)
pub fn status_text(status: &LineStatus, dry_run: &bool) -> String {
    match (status, *dry_run) {
        (LineStatus::Assigned, true) => "will be assigned".to_string(),
        (LineStatus::Assigned, false) => "assigned".to_string(),
        (LineStatus::AlreadyHeld, _) => "already holds it".to_string(),
        (LineStatus::Renewed, true) => "already holds it; will be renewed from now".to_string(),
        (LineStatus::Renewed, false) => "already held it; renewed from now".to_string(),
        (LineStatus::Removed, true) => "will be removed".to_string(),
        (LineStatus::Removed, false) => "removed".to_string(),
        (LineStatus::NotHeld, _) => "does not hold it".to_string(),
        (LineStatus::NotFound, _) => "no such member".to_string(),
        (LineStatus::Invalid(reason), _) => format!("invalid: {reason}"),
    }
}

pub struct PickerHit {
    pub member: insignia_core::members::Member,
    /// Already holds the badge: shown, but cannot be ticked.
    pub holds: bool,
}

/// The member picker's result list (also the htmx answer while typing).
#[derive(Template)]
#[template(path = "dashboard/badges/picker_results.html")]
struct PickerResults {
    find: String,
    hits: Vec<PickerHit>,
    /// More members match than are shown.
    more: bool,
}

#[derive(Template)]
#[template(path = "dashboard/badges/show.html")]
struct BadgePage {
    layout: Layout,
    badge: Badge,
    /// Whether the site sends mail (the page offers to tell members by mail).
    mail_on: bool,
    /// The rule that gives it, in words; `None`: given by hand.
    rule: Option<String>,
    view: BadgeView,
    created: String,
    updated: String,
    /// How long an assignment lasts, in words.
    valid_for: String,
    q: String,
    holders: Vec<HolderRow>,
    /// "1–50 of 89,103", or "1–50 matching" while searching.
    range: String,
    /// "3 members", "1 member".
    held_by: String,
    /// "3 holders", "1 holder".
    holder_count: String,
    newer_link: Option<String>,
    older_link: Option<String>,
    /// The icon in words: its name, "an uploaded image" or its address.
    icon_words: String,
    picker: Option<PickerResults>,
    bulk_text: String,
    bulk_until: String,
    /// The box is set to take the badge away (else to give it).
    bulk_take: bool,
    bulk_error: Option<String>,
    report: Option<BulkReport>,
    /// The most lines the bulk box takes, written out ("50,000").
    bulk_max: String,
}

/// How the details name a badge's icon.
fn icon_words(badge: &Badge) -> String {
    match badge.icon() {
        Icon::None => "None".to_string(),
        Icon::Builtin(name) => name,
        Icon::Upload(_) => "An uploaded image".to_string(),
        Icon::Url(url) => url,
    }
}

fn parse_cursor(text: Option<&str>) -> Option<(i64, i64)> {
    TimeCursor::parse(text?).map(|c| (c.at_millis, c.key))
}

async fn picker(
    state: &AppState,
    badge_id: &BadgeId,
    find: &str,
) -> Result<PickerResults, AppError> {
    let (badge_id, term) = (badge_id.clone(), find.to_string());
    let (hits, holders) = blocking::run(&state.pool, move |conn| {
        let hits = search::members(conn, &term, None, PICKER_SIZE + 1)?;
        let ids: Vec<MemberId> = hits.iter().map(|h| h.member.id.clone()).collect();
        let holders = assignments::holding_any(conn, &badge_id, &ids)?;
        Ok((hits, holders))
    })
    .await?;
    let more = hits.len() as i64 > PICKER_SIZE;
    Ok(PickerResults {
        find: find.to_string(),
        more,
        hits: hits
            .into_iter()
            .take(PICKER_SIZE as usize)
            .map(|h: Hit| PickerHit {
                holds: holders.contains(h.member.id.as_str()),
                member: h.member,
            })
            .collect(),
    })
}

/// The bulk box as it should appear: what was pasted, and its error or report.
#[derive(Default)]
struct BulkBox {
    text: String,
    /// The last day typed beside the box.
    until: String,
    take: bool,
    error: Option<String>,
    report: Option<BulkReport>,
}

async fn badge_page(
    state: &AppState,
    session: &Session,
    admin: &CurrentAdmin,
    id: BadgeId,
    query: BadgePageQuery,
    path: &str,
    bulk: BulkBox,
) -> Result<BadgePage, AppError> {
    let page = match parse_cursor(query.before.as_deref()) {
        Some(before) => HolderPage::Newer(before),
        None => HolderPage::Older(parse_cursor(query.after.as_deref())),
    };
    let (q, lookup) = (query.q.clone(), id.clone());
    let (badge, rule, mut holders) = blocking::run(&state.pool, move |conn| {
        let badge = badge_store::find(conn, &lookup)?;
        let rule = insignia_core::rules::store::words(conn, badge.key, false)?;
        let holders =
            search::holders_page(conn, Audience::Everyone, &lookup, &q, page, PAGE_SIZE + 1)?;
        Ok((badge, rule, holders))
    })
    .await?;
    // One row more than a page was read, to know whether the list goes on that way.
    let more = holders.len() as i64 > PAGE_SIZE;
    let (has_newer, has_older) = match page {
        HolderPage::Older(after) => {
            holders.truncate(PAGE_SIZE as usize);
            (after.is_some(), more)
        }
        HolderPage::Newer(_) => {
            if more {
                holders.remove(0);
            }
            (more, true)
        }
    };
    let shown = holders.len();
    let total = usize::try_from(badge.member_count).unwrap_or(0);
    let from = if has_newer {
        query.from.unwrap_or(1).max(1)
    } else {
        1
    };
    // `from` comes from the link followed (or from whoever typed the address); holders given
    // or taken meanwhile, or a made-up number, must not make the range run past the total.
    // (A search matches at most every holder, so the total bounds it too.)
    let from = from.min((total + 1).saturating_sub(shown)).max(1);
    let range = match (shown, query.q.is_empty()) {
        (0, _) => String::new(),
        (_, true) => format!(
            "{}–{} of {}",
            grouped(from),
            grouped(from + shown - 1),
            grouped(total)
        ),
        (_, false) => format!("{}–{} matching", grouped(from), grouped(from + shown - 1)),
    };
    let link = |side: &str, h: &Holder, at: usize| {
        let cursor = TimeCursor {
            at_millis: h.at_millis,
            key: h.member_key,
        }
        .to_string();
        format!(
            "/dashboard/badges/{id}?q={}&{side}={}&from={at}#holders",
            url_encode(&query.q),
            url_encode(&cursor)
        )
    };
    let newer_link = holders
        .first()
        .filter(|_| has_newer)
        .map(|h| link("before", h, from.saturating_sub(PAGE_SIZE as usize).max(1)));
    let older_link = holders
        .last()
        .filter(|_| has_older)
        .map(|h| link("after", h, from.saturating_add(shown)));
    let picker = if query.find.trim().is_empty() {
        None
    } else {
        Some(picker(state, &id, &query.find).await?)
    };
    Ok(BadgePage {
        layout: Layout::new(session, Some(&admin.0), badge.title.clone(), path),
        mail_on: state.settings.mail.is_some(),
        icon_words: icon_words(&badge),
        view: BadgeView::from(&badge),
        created: short_time(badge.created_at),
        updated: short_time(badge.updated_at),
        valid_for: match badge.valid_for_days {
            Some(days) => format!(
                "{} after it is given",
                grouped_count(days as usize, "day", "days")
            ),
            None => "Until it is taken away".to_string(),
        },
        badge,
        rule,
        q: query.q,
        holders: holders
            .into_iter()
            .map(|h| {
                let at = clock::Timestamp::from_millis(h.at_millis);
                HolderRow {
                    since: short_time(at),
                    at: at.to_string(),
                    until: crate::views::until(h.expires_at.map(clock::Timestamp::from_millis)),
                    holder: h,
                }
            })
            .collect(),
        range,
        held_by: crate::views::count_of(total, "member", "members"),
        holder_count: crate::views::count_of(total, "holder", "holders"),
        newer_link,
        older_link,
        picker,
        bulk_text: bulk.text,
        bulk_until: bulk.until,
        bulk_take: bulk.take,
        bulk_error: bulk.error,
        report: bulk.report,
        bulk_max: crate::views::grouped(assignments::BULK_MAX),
    })
}

pub async fn show(
    state: web::Data<AppState>,
    session: Session,
    admin: CurrentAdmin,
    path: web::Path<BadgeId>,
    query: web::Query<BadgePageQuery>,
    req: HttpRequest,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    let mut query = query.into_inner();
    let bulk = match query.report.take() {
        Some(report) => kept_report(&state, &admin, &id, report).await?,
        None => {
            let kept: AssignForm = admin
                .take_draft(&state.pool, req.path())
                .await?
                .unwrap_or_default();
            BulkBox {
                text: kept.bulk.unwrap_or_default(),
                until: kept.until,
                take: kept.direction == "take",
                ..BulkBox::default()
            }
        }
    };
    let page = badge_page(&state, &session, &admin, id, query, req.path(), bulk).await?;
    render(&page)
}

/// The bulk box beside a kept report: a dry run's list back in the box (if it is short
/// enough to send again), and whether the change can still be undone.
async fn kept_report(
    state: &AppState,
    admin: &CurrentAdmin,
    badge_id: &BadgeId,
    report_id: String,
) -> Result<BulkBox, AppError> {
    let (admin_id, badge) = (admin.0.admin_id.clone(), badge_id.to_string());
    let found = blocking::run(&state.pool, move |conn| {
        let Some(kept) = reports::find_any(conn, &admin_id, &report_id)? else {
            return Ok(None);
        };
        if !kept.is_bulk_of(&badge) {
            return Ok(None);
        }
        let Ok(mut report) = serde_json::from_str::<BulkReport>(&kept.page) else {
            return Ok(None);
        };
        report.undo = match &report.change {
            None => UndoState::Nothing,
            Some(change) => match undo::find(conn, &admin_id, change)? {
                Some(c) if c.undone_at.is_some() => UndoState::Undone,
                Some(_) => UndoState::Offered,
                None => UndoState::TooOld,
            },
        };
        report.id = kept.id;
        Ok(Some((report, kept.input)))
    })
    .await?;
    Ok(match found {
        Some((mut report, input)) => {
            let text = reports::text_to_show(input, report.dry_run);
            report.list_not_shown = report.dry_run && text.is_empty() && report.lines > 0;
            BulkBox {
                text,
                until: report.until.clone(),
                take: report.take,
                error: None,
                report: Some(report),
            }
        }
        None => BulkBox {
            error: Some(
                "That report is no longer kept (reports are kept for a day). Paste the list again."
                    .to_string(),
            ),
            ..BulkBox::default()
        },
    })
}

#[derive(Deserialize)]
pub struct PickerQuery {
    #[serde(default)]
    find: String,
}

/// The picker's results while typing (htmx).
pub async fn picker_search(
    state: web::Data<AppState>,
    _admin: CurrentAdmin,
    path: web::Path<BadgeId>,
    query: web::Query<PickerQuery>,
) -> Result<HttpResponse, AppError> {
    render(&picker(&state, &path.into_inner(), &query.find).await?)
}

/// The badge page's assign form: ticked members, or the bulk box. A draft keeps the bulk
/// box (`bulk`, `plan`) across the password prompt; ticked members are easy to tick again.
#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(default)]
pub struct AssignForm {
    /// The pasted lines; a form that sends the box at all (even empty) is the bulk box's.
    #[serde(
        deserialize_with = "forms::first_if_sent",
        skip_serializing_if = "Option::is_none"
    )]
    bulk: Option<String>,
    /// A checked list kept on the server, applied from its report.
    #[serde(deserialize_with = "forms::first")]
    plan: String,
    /// `dry_run` only reports; `assign` gives, `remove` takes away, `apply` goes as
    /// `direction` says.
    #[serde(deserialize_with = "forms::first", skip_serializing)]
    action: String,
    /// Which way the bulk box goes: `give` (the default) or `take`.
    #[serde(deserialize_with = "forms::first")]
    direction: String,
    #[serde(skip_serializing)]
    member_id: Vec<MemberId>,
    /// The last day these assignments last (UTC); empty: as the badge says.
    #[serde(deserialize_with = "forms::first")]
    until: String,
}

/// An optional last day typed in a form: held through it (`Day::last_moment`). Whether it is
/// still to come is the domain's to say.
fn read_until(typed: &str) -> Result<Option<clock::Timestamp>, String> {
    if typed.trim().is_empty() {
        return Ok(None);
    }
    insignia_core::rules::Day::parse(typed)
        .map(|day| Some(day.last_moment()))
        .ok_or_else(|| "Write the last day as a date, such as 2027-03-12.".to_string())
}

/// What a refused end says in a give form.
const END_PASSED: &str = "That last day has already passed: choose a day from today on.";

/// A GET of an address the badge page's forms post to (a bookmarked or reopened report, a
/// reload after the answer): the badge's page, where those forms are.
pub async fn back_to_badge(
    _admin: CurrentAdmin,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    Ok(see_other(&format!(
        "/dashboard/badges/{}",
        url_encode(&path.into_inner())
    )))
}

/// Assigns the ticked members (`member_id`, repeated), or makes the bulk box's change: the
/// pasted lines (`bulk`) or a checked list (`plan`), given or taken away (`direction`, or
/// `action=assign` / `action=remove`), or only checked (`action=dry_run`). A bulk answer is a
/// redirect to its report's own address.
pub async fn assign(
    state: web::Data<AppState>,
    session: Session,
    admin: CurrentAdmin,
    path: web::Path<BadgeId>,
    form: HtmlForm<AssignForm>,
    req: HttpRequest,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    let page_path = format!("/dashboard/badges/{id}");
    admin
        .require_elevation_keeping(&state.pool, &page_path, &*form)
        .await?;
    let who = admin.actor();
    let AssignForm {
        bulk,
        plan,
        action,
        direction,
        member_id: member_ids,
        until: typed_until,
    } = form.into_inner();
    let until = read_until(&typed_until);
    if bulk.is_some() || !plan.is_empty() {
        let dry_run = action == "dry_run";
        let take = match action.as_str() {
            "remove" => true,
            "assign" => false,
            _ => direction == "take",
        };
        let refused = |text: String, message: String| BulkBox {
            text,
            until: typed_until.clone(),
            take,
            error: Some(message),
            report: None,
        };
        let change = match (take, until) {
            (true, _) => assignments::BulkChange::Take,
            (false, Ok(until)) => assignments::BulkChange::Give { until },
            (false, Err(message)) => {
                let bulk = refused(
                    bulk.unwrap_or_default(),
                    format!("{message} Nothing was assigned."),
                );
                let page = badge_page(
                    &state,
                    &session,
                    &admin,
                    id,
                    BadgePageQuery::default(),
                    req.path(),
                    bulk,
                )
                .await?;
                return render_with(StatusCode::UNPROCESSABLE_ENTITY, &page);
            }
        };
        let kind = if take {
            reports::Kind::BulkTake
        } else {
            reports::Kind::Bulk
        };
        let (badge_id, admin_id, typed) = (
            id.clone(),
            admin.0.admin_id.clone(),
            bulk.unwrap_or_default(),
        );
        let until_text = typed_until.clone();
        let outcome = blocking::run(&state.pool, move |conn| {
            // A checked list applied from its report is read back from the server.
            let text = if plan.is_empty() {
                typed
            } else {
                match reports::find(conn, &admin_id, kind, &plan)? {
                    Some(kept) if badge_id == kept.subject => kept.input,
                    _ => return Ok((String::new(), Err(None))),
                }
            };
            let kept = keep_bulk_report(
                conn,
                &who,
                &admin_id,
                &badge_id,
                &text,
                change,
                &until_text,
                dry_run,
            )?
            .map_err(Some);
            Ok((text, kept))
        })
        .await?;
        let (text, kept) = outcome;
        let nothing = if take {
            "Nothing was removed."
        } else {
            "Nothing was assigned."
        };
        let error = match kept {
            Ok(report) => {
                return Ok(see_other(&format!(
                    "{page_path}?report={report}#bulk-report-heading"
                )));
            }
            Err(None) => {
                "That checked list is no longer kept (lists are kept for a day). Paste it again."
                    .to_string()
            }
            Err(Some(AssignError::TooMany)) => format!(
                "Paste at most {} lines at a time. {nothing}",
                crate::views::grouped(assignments::BULK_MAX)
            ),
            Err(Some(AssignError::EndPassed)) => format!("{END_PASSED} {nothing}"),
            Err(Some(AssignError::NotText(line))) => format!(
                "Line {line} holds a NUL character, which cannot be an e-mail or an id. Remove it and try again. {nothing}"
            ),
            Err(Some(e)) => return Err(e.into()),
        };
        // A refused list stays in the box to be fixed.
        let page = badge_page(
            &state,
            &session,
            &admin,
            id,
            BadgePageQuery::default(),
            req.path(),
            refused(text, error),
        )
        .await?;
        return render_with(StatusCode::UNPROCESSABLE_ENTITY, &page);
    }
    if member_ids.is_empty() {
        cookie::flash(
            &session,
            FlashKind::Error,
            "Tick at least one member to give the badge to.",
        );
        return Ok(see_other(&page_path));
    }
    let until = match until {
        Ok(until) => until,
        Err(message) => {
            cookie::flash(
                &session,
                FlashKind::Error,
                format!("{message} Nothing was assigned."),
            );
            return Ok(see_other(&page_path));
        }
    };
    let badge_id = id.clone();
    let outcome = blocking::run(&state.pool, move |conn| {
        Ok(assignments::assign_until(
            conn,
            &who,
            &badge_id,
            &member_ids,
            until,
        ))
    })
    .await?;
    match outcome {
        Ok(done) => {
            let mut text = format!(
                "Badge given to {}.",
                grouped_count(done.added.len(), "member", "members")
            );
            if !done.already.is_empty() {
                text.push_str(&format!(
                    " {} already held it.",
                    grouped_count(done.already.len(), "member", "members")
                ));
            }
            cookie::flash(&session, FlashKind::Success, text);
        }
        Err(AssignError::MembersNotFound(missing)) => cookie::flash(
            &session,
            FlashKind::Error,
            format!(
                "{} of the ticked members no longer exist, so nothing was assigned.",
                missing.len()
            ),
        ),
        Err(AssignError::EndPassed) => cookie::flash(
            &session,
            FlashKind::Error,
            format!("{END_PASSED} Nothing was assigned."),
        ),
        Err(e) => return Err(e.into()),
    }
    Ok(see_other(&format!("{page_path}#holders")))
}

/// Whom to take the badge from: one holder (`remove`), or the ticked ones (`member_id`).
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct UnassignForm {
    #[serde(deserialize_with = "forms::first")]
    remove: String,
    member_id: Vec<MemberId>,
}

/// Takes the badge from one holder (`remove`, the row's own button) or the ticked ones
/// (`member_id`). The message offers an undo, which gives them the badge back as they had it.
pub async fn unassign(
    state: web::Data<AppState>,
    session: Session,
    admin: CurrentAdmin,
    path: web::Path<BadgeId>,
    form: HtmlForm<UnassignForm>,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    let page_path = format!("/dashboard/badges/{id}");
    admin.require_elevation(&page_path)?;
    let UnassignForm { remove, member_id } = form.into_inner();
    let member_ids = if remove.is_empty() {
        member_id
    } else {
        vec![MemberId::from(remove)]
    };
    let (who, badge_id, admin_id) = (admin.actor(), id.clone(), admin.0.admin_id.clone());
    let outcome = blocking::run(&state.pool, move |conn| {
        let (removed, change) =
            assignments::unassign_undoable(conn, &who, &admin_id, &badge_id, &member_ids)?;
        let Some(change) = change else {
            return Ok(None);
        };
        let whom = match removed.as_slice() {
            [only] => insignia_core::members::find(conn, only)
                .map(|m| m.name)
                .unwrap_or_else(|_| "1 member".to_string()),
            many => format!("{} members", crate::views::grouped(many.len())),
        };
        Ok(Some((whom, change)))
    })
    .await?;
    match outcome {
        None => cookie::flash(
            &session,
            FlashKind::Info,
            "Nothing changed: none of them held the badge.",
        ),
        Some((whom, change)) => cookie::flash_with_undo(
            &session,
            format!("Removed the badge from {whom}."),
            super::undo::undo_button(&[change], &format!("{page_path}#holders")),
        ),
    }
    Ok(see_other(&format!("{page_path}#holders")))
}

/// When the ticked holders' assignments end: the day typed (`end`, held through it, UTC)
/// with `end_action=set`, or no end with `end_action=clear`.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct EndForm {
    member_id: Vec<MemberId>,
    #[serde(deserialize_with = "forms::first")]
    end: String,
    #[serde(deserialize_with = "forms::first")]
    end_action: String,
}

/// Extends, shortens or removes the end of the ticked holders' assignments.
pub async fn set_end(
    state: web::Data<AppState>,
    session: Session,
    admin: CurrentAdmin,
    path: web::Path<BadgeId>,
    form: HtmlForm<EndForm>,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    let page_path = format!("/dashboard/badges/{id}");
    admin.require_elevation(&page_path)?;
    let EndForm {
        member_id,
        end,
        end_action,
    } = form.into_inner();
    let back = see_other(&format!("{page_path}#holders"));
    let fail = |message: &str| {
        cookie::flash(&session, FlashKind::Error, message);
        Ok(see_other(&format!("{page_path}#holders")))
    };
    if member_id.is_empty() {
        return fail("Tick at least one holder first. Nothing was changed.");
    }
    let until = match (end_action.as_str(), read_until(&end)) {
        ("clear", _) => None,
        ("set", Ok(Some(end))) => Some(end),
        ("set", Ok(None)) => return fail("Choose the last day they hold it. Nothing was changed."),
        ("set", Err(message)) => return fail(&format!("{message} Nothing was changed.")),
        _ => return fail("Choose “Set end” or “No end”. Nothing was changed."),
    };
    let (who, badge_id) = (admin.actor(), id.clone());
    let outcome = blocking::run(&state.pool, move |conn| {
        Ok(assignments::set_end(
            conn, &who, &badge_id, &member_id, until,
        ))
    })
    .await?;
    match outcome {
        Ok(0) => cookie::flash(
            &session,
            FlashKind::Info,
            "Nothing changed: none of them holds the badge now.",
        ),
        Ok(n) => cookie::flash(
            &session,
            FlashKind::Success,
            match until {
                Some(end) => format!(
                    "{} now hold it until {}.",
                    grouped_count(n as usize, "member", "members"),
                    crate::views::long_day(end)
                ),
                None => format!(
                    "{} now hold it until it is taken away.",
                    grouped_count(n as usize, "member", "members")
                ),
            },
        ),
        Err(AssignError::EndPassed) => {
            return fail(&format!("{END_PASSED} Nothing was changed."));
        }
        Err(e) => return Err(e.into()),
    }
    Ok(back)
}

/// The question before taking a badge from every holder.
pub async fn remove_all_confirm(
    state: web::Data<AppState>,
    session: Session,
    admin: CurrentAdmin,
    path: web::Path<BadgeId>,
    req: HttpRequest,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    let badge = blocking::run(&state.pool, move |conn| Ok(badge_store::find(conn, &id)?)).await?;
    let holders = grouped_count(badge.member_count.max(0) as usize, "holder", "holders");
    render(&super::confirm::ConfirmPage {
        layout: Layout::new(
            &session,
            Some(&admin.0),
            format!("Remove {} from all holders", badge.title),
            req.path(),
        ),
        heading: "Remove this badge from every holder?".to_string(),
        heading_class: None,
        badge: Some(BadgeView::from(&badge)),
        what_happens: vec![
            Words::Strong(format!(
                "{} will lose it",
                grouped_count(badge.member_count.max(0) as usize, "member", "members")
            )),
            Words::Text(
                ", in one change. The badge itself stays. You can undo this for a day from the report that follows: each of them gets it back as they had it."
                    .to_string(),
            ),
        ],
        action: format!("/dashboard/badges/{}/members/remove-all", badge.id),
        button: format!("Remove all {holders}"),
        cancel_href: format!("/dashboard/badges/{}#holders", badge.id),
        cancel_label: "Keep them",
    })
}

/// Takes the badge from every holder in one transaction, kept to undo for a day; the answer
/// is the change's report, which offers the undo.
pub async fn remove_all(
    state: web::Data<AppState>,
    session: Session,
    admin: CurrentAdmin,
    path: web::Path<BadgeId>,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    let page_path = format!("/dashboard/badges/{id}");
    admin.require_elevation(&format!("{page_path}/members/remove-all"))?;
    let (who, admin_id, badge_id) = (admin.actor(), admin.0.admin_id.clone(), id.clone());
    let report = blocking::run(&state.pool, move |conn| {
        let (removed, change) = assignments::take_from_all(conn, &who, &admin_id, &badge_id)?;
        if removed == 0 {
            return Ok(None);
        }
        let report = BulkReport {
            take: true,
            all_holders: true,
            summary: BulkSummary {
                removed: removed as usize,
                ..BulkSummary::default()
            },
            change,
            ..BulkReport::default()
        };
        let kept = reports::keep(
            conn,
            &admin_id,
            reports::Kind::BulkTake,
            badge_id.as_str(),
            None,
            String::new(),
        )?;
        let page = serde_json::to_string(&report).map_err(Error::internal)?;
        reports::keep_page(conn, &kept, &page, String::new())?;
        Ok(Some(kept))
    })
    .await?;
    Ok(match report {
        Some(report) => see_other(&format!("{page_path}?report={report}#bulk-report-heading")),
        None => {
            cookie::flash(
                &session,
                FlashKind::Info,
                "Nothing changed: nobody holds the badge.",
            );
            see_other(&format!("{page_path}#holders"))
        }
    })
}
