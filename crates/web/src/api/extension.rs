//! Insignia's own operations under `/insignia/v1` (docs/api.md): what the Wix API has no word
//! for. Badges valid for a time: how long a badge's assignments last, giving with an end of
//! its own, and the holders with when each got it and when it ends. Badges given by rules:
//! a badge's rule, read, saved (and run), removed and previewed. Same callers, checks and
//! error shape as the Wix operations.

use actix_web::{HttpRequest, HttpResponse, web};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::answer::{db, ok};
use super::caller::Caller;
use super::error::{self, ApiError};
use super::input::{self, Json};
use crate::paging::TimeCursor;
use crate::state::AppState;
use insignia_core::badges::rules::VALID_FOR_DAYS_MAX;
use insignia_core::badges::{Rule, store};
use insignia_core::clock::Timestamp;
use insignia_core::ids::{BadgeId, MemberId};
use insignia_core::members::profile::Audience;
use insignia_core::members::{assignments, search};
use insignia_core::rules::{self, criteria};

fn validity_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
    schemars::json_schema!({
        "type": ["integer", "null"],
        "minimum": 1,
        "maximum": VALID_FOR_DAYS_MAX,
        "description": "Days each assignment lasts after it is given; null: until it is taken away",
    })
}

fn time_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
    schemars::json_schema!({"type": "string", "format": "date-time"})
}

/// The body of `PATCH /insignia/v1/badges/{id}`.
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct BadgeSettingsRequest {
    /// Absent: unchanged; `null`: for good; a number of days.
    #[serde(default, deserialize_with = "sent")]
    #[schemars(schema_with = "validity_schema")]
    pub valid_for_days: Option<serde_json::Value>,
}

#[derive(Debug, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct BadgeSettingsResponse {
    pub id: String,
    pub valid_for_days: Option<i32>,
}

/// The body of `POST /insignia/v1/badges/{id}/members`.
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct GiveRequest {
    #[schemars(schema_with = "super::wire::member_id_list")]
    pub member_ids: Option<Vec<String>>,
    /// When these assignments end (RFC 3339, in the future); absent: as the badge says.
    #[schemars(schema_with = "time_schema")]
    pub expires_date: Option<String>,
}

#[derive(Debug, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct GiveResponse {
    pub member_ids: Vec<String>,
}

#[derive(Debug, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct HolderOut {
    pub member_id: String,
    #[schemars(schema_with = "time_schema")]
    pub assigned_date: String,
    /// `null` when it does not end.
    pub expires_date: Option<String>,
}

#[derive(Debug, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct HoldersMetadata {
    pub count: usize,
    /// `paging.cursor` of the next page; `null` on the last.
    pub cursor: Option<String>,
}

/// Holders, newest assignment first.
#[derive(Debug, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct HoldersPage {
    pub members: Vec<HolderOut>,
    pub metadata: HoldersMetadata,
}

/// A field that was sent, `null` included (absent ones take `None` by `#[serde(default)]`).
fn sent<'de, D: serde::Deserializer<'de>>(field: D) -> Result<Option<serde_json::Value>, D::Error> {
    serde_json::Value::deserialize(field).map(Some)
}

/// `paging.cursor` as sent: a `metadata.cursor` this API gave, or nothing.
fn read_cursor(pairs: &[(String, String)]) -> Result<Option<(i64, i64)>, ApiError> {
    let mut sent = pairs
        .iter()
        .filter(|(k, _)| k == "paging.cursor")
        .map(|(_, v)| v);
    let refused = || {
        ApiError::violation(
            "paging.cursor",
            Rule::Format,
            "must be metadata.cursor of the page before, given once",
        )
    };
    match (sent.next(), sent.next()) {
        (None, _) => Ok(None),
        (Some(_), Some(_)) => Err(refused()),
        (Some(text), None) => {
            let (at, key) = text.split_once('.').ok_or_else(refused)?;
            let number = |part: &str| {
                (1..=18).contains(&part.len()) && part.bytes().all(|b| b.is_ascii_digit())
            };
            if !number(at) || !number(key) {
                return Err(refused());
            }
            Ok(Some((
                at.parse().map_err(|_| refused())?,
                key.parse().map_err(|_| refused())?,
            )))
        }
    }
}

/// `validForDays` as sent: `None` when absent, `Some(None)` for `null`.
fn read_validity(sent: Option<serde_json::Value>) -> Result<Option<Option<i32>>, ApiError> {
    let refused = || {
        ApiError::violation(
            "validForDays",
            Rule::Format,
            format!("must be a whole number of days from 1 to {VALID_FOR_DAYS_MAX}, or null"),
        )
    };
    match sent {
        None => Ok(None),
        Some(serde_json::Value::Null) => Ok(Some(None)),
        Some(serde_json::Value::Number(n)) => {
            // 30.0 is a whole number too, as JSON Schema counts.
            let days = n
                .as_i64()
                .or_else(|| n.as_f64().filter(|f| f.fract() == 0.0).map(|f| f as i64))
                .ok_or_else(refused)?;
            match i32::try_from(days) {
                Ok(days) if (1..=VALID_FOR_DAYS_MAX).contains(&days) => Ok(Some(Some(days))),
                _ => Err(refused()),
            }
        }
        Some(_) => Err(refused()),
    }
}

/// `expiresDate` as sent: an RFC 3339 time. (One that has passed is the domain's to refuse:
/// a well-formed request the clock refuses, 409.)
fn read_end(sent: Option<String>) -> Result<Option<Timestamp>, ApiError> {
    let Some(text) = sent else {
        return Ok(None);
    };
    Timestamp::parse(text.trim()).map(Some).ok_or_else(|| {
        ApiError::violation(
            "expiresDate",
            Rule::Format,
            "must be a time in RFC 3339, such as 2027-03-12T09:00:00Z",
        )
    })
}

/// `PATCH /insignia/v1/badges/{id}`: how long the badge's assignments last from now on
/// (those given before keep their end).
pub async fn update_badge_settings(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<BadgeId>,
    body: Json<BadgeSettingsRequest>,
) -> Result<HttpResponse, ApiError> {
    let actor = caller.authorize_change(&state).await?;
    let validity = read_validity(body.0.valid_for_days)?;
    let id = path.into_inner();
    let badge = db(&state, move |conn| {
        insignia_core::db::write(conn, |conn| {
            let current = store::find(conn, &id)?;
            let Some(days) = validity else {
                return Ok(current);
            };
            if days == current.valid_for_days {
                return Ok(current);
            }
            let mut input = current.as_input();
            input.valid_for_days = days.map(|d| d.to_string()).unwrap_or_default();
            let valid = input.parse()?;
            Ok(store::update(conn, &actor, &id, &valid, None)?)
        })
    })
    .await?;
    ok(BadgeSettingsResponse {
        id: badge.id.into_string(),
        valid_for_days: badge.valid_for_days,
    })
}

/// `POST /insignia/v1/badges/{id}/members`: gives the badge as `assignBadge` does (all or
/// nothing), ending at `expiresDate` when one is sent.
pub async fn give(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<BadgeId>,
    body: Json<GiveRequest>,
) -> Result<HttpResponse, ApiError> {
    let actor = caller.authorize_change(&state).await?;
    let GiveRequest {
        member_ids,
        expires_date,
    } = body.0;
    let until = read_end(expires_date)?;
    let given = give_members(&state, actor, path.into_inner(), member_ids, until).await?;
    ok(GiveResponse { member_ids: given })
}

/// What assignBadge and giveBadge do: all or nothing, ending at `until` (or as the badge
/// says). Returns every requested member, now all holders.
pub(super) async fn give_members(
    state: &AppState,
    actor: insignia_core::audit::Actor,
    id: BadgeId,
    member_ids: Option<Vec<String>>,
    until: Option<Timestamp>,
) -> Result<Vec<String>, ApiError> {
    let ids = input::member_ids(member_ids)?;
    let requested = ids.clone();
    db(state, move |conn| {
        Ok(assignments::assign_until(
            conn,
            &actor,
            &id,
            &MemberId::all(&ids),
            until,
        )?)
    })
    .await?;
    Ok(requested)
}

/// `GET /insignia/v1/badges/{id}/members`: the holders, newest assignment first, with when
/// each got it and when it ends; hidden ones only for callers who see everything.
pub async fn holders(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<BadgeId>,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let pairs = input::query_pairs(&req)?;
    let limit = input::Paging::from_query(
        &pairs
            .iter()
            .filter(|(k, _)| k == "paging.limit")
            .cloned()
            .collect::<Vec<_>>(),
    )?
    .limit;
    let after = read_cursor(&pairs)?;
    let audience = caller.audience().await?;
    let id = path.into_inner();
    let mut rows = db(&state, move |conn| {
        store::find(conn, &id)?;
        Ok(search::holders(conn, audience, &id, "", after, limit + 1)?)
    })
    .await?;
    let more = rows.len() as i64 > limit;
    rows.truncate(limit.max(0) as usize);
    let cursor = if more {
        rows.last().map(|h| {
            TimeCursor {
                at_millis: h.at_millis,
                key: h.member_key,
            }
            .to_string()
        })
    } else {
        None
    };
    let members: Vec<HolderOut> = rows
        .into_iter()
        .map(|h| HolderOut {
            member_id: h.member.id.into_string(),
            assigned_date: Timestamp::from_millis(h.at_millis).to_string(),
            expires_date: h
                .expires_at
                .map(|at| Timestamp::from_millis(at).to_string()),
        })
        .collect();
    ok(HoldersPage {
        metadata: HoldersMetadata {
            count: members.len(),
            cursor,
        },
        members,
    })
}

// ------------------------------------------------------------------ rules

fn days_schema() -> serde_json::Value {
    serde_json::json!({"type": "integer", "minimum": 1, "maximum": criteria::DAYS_MAX})
}

fn badge_ids_schema() -> serde_json::Value {
    serde_json::json!({"type": "array", "minItems": 1, "maxItems": criteria::LIST_MAX,
        "items": {"type": "string", "format": "uuid"}})
}

/// One criterion: an object with exactly one of these fields.
fn criterion_schemas() -> Vec<serde_json::Value> {
    let domain = serde_json::json!({"type": "string", "maxLength": 253,
        "pattern": "^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\\.)+[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$"});
    let day = serde_json::json!({"type": "string", "format": "date",
        "description": "A day (UTC), such as 2026-01-01"});
    [
        ("joinedBefore", day.clone()),
        ("joinedAfter", day),
        ("joinedAtLeastDaysAgo", days_schema()),
        (
            "emailDomainIn",
            serde_json::json!({"type": "array", "minItems": 1, "maxItems": criteria::LIST_MAX,
                "items": domain,
                "description": "Matches addresses an admin entered or imported, never a member's own sign-up"}),
        ),
        ("holdsAll", badge_ids_schema()),
        ("holdsAny", badge_ids_schema()),
        ("holdsNone", badge_ids_schema()),
        (
            "heldForAtLeastDays",
            serde_json::json!({"type": "object", "additionalProperties": false,
                "required": ["badgeId", "days"],
                "properties": {"badgeId": {"type": "string", "format": "uuid"}, "days": days_schema()}}),
        ),
        (
            "badgeCountAtLeast",
            serde_json::json!({"type": "integer", "minimum": 1, "maximum": criteria::COUNT_MAX,
                "description": "Counts badges given by hand or by the API, not automatic ones"}),
        ),
        (
            "signedUp",
            serde_json::json!({"type": "boolean",
                "description": "true: made their own account; false: added by an admin"}),
        ),
    ]
    .into_iter()
    .map(|(name, value)| {
        serde_json::json!({"type": "object", "additionalProperties": false,
            "required": [name], "properties": {name: value}})
    })
    .collect()
}

fn rule_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
    schemars::json_schema!({
        "type": "object",
        "additionalProperties": false,
        "required": ["criteria"],
        "properties": {
            "criteria": {
                "type": "array",
                "maxItems": criteria::CRITERIA_MAX,
                "items": {"oneOf": criterion_schemas()},
                "description": "A member must meet all of them; none: every member",
            },
            "revoke": {
                "type": "boolean",
                "description": "Take the badge away from members who no longer match (default false)",
            },
        },
    })
}

/// The body of `PUT /insignia/v1/badges/{id}/rule` and of its preview.
#[derive(Debug, Default, Deserialize, JsonSchema)]
pub struct RuleRequest {
    #[schemars(schema_with = "rule_schema")]
    pub rule: Option<serde_json::Value>,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct RuleResponse {
    #[schemars(schema_with = "rule_schema")]
    pub rule: serde_json::Value,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct RuleSaved {
    #[schemars(schema_with = "rule_schema")]
    pub rule: serde_json::Value,
    /// Members the rule gave the badge to now.
    pub given: i64,
    /// Members it took the badge from.
    pub taken: i64,
}

#[derive(Debug, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct RulePreview {
    /// Members who match the rule.
    pub matching: i64,
    /// Of them, those who would get the badge.
    pub would_give: i64,
    /// Holders who no longer match and would lose it (0 unless the rule revokes).
    pub would_take: i64,
    /// The webhook events saving it would send (one per member given or taken the badge).
    pub webhook_events: i64,
}

/// `{"rule": …}` as sent, read into the domain's rule with every check of its own.
fn read_rule(body: RuleRequest) -> Result<rules::Rule, ApiError> {
    let sent = body
        .rule
        .ok_or_else(|| ApiError::violation("rule", Rule::Required, "is required"))?;
    let rule: rules::Rule = match whole_numbers(sent) {
        serde_json::Value::Object(mut fields) => {
            // `revoke` may be left out: off.
            fields
                .entry("revoke")
                .or_insert(serde_json::Value::Bool(false));
            serde_json::from_value(serde_json::Value::Object(fields))
                .map_err(|e| ApiError::violation("rule", Rule::Format, e.to_string()))?
        }
        _ => {
            return Err(ApiError::violation(
                "rule",
                Rule::Format,
                "must be an object",
            ));
        }
    };
    rule.check().map_err(|problems| {
        ApiError::Validation(
            problems
                .into_iter()
                .map(|p| error::FieldViolation {
                    field: p.index.map_or("rule.criteria".to_string(), |i| {
                        format!("rule.criteria[{i}]")
                    }),
                    description: p.message,
                    violated_rule: "OTHER".to_string(),
                })
                .collect(),
        )
    })?;
    Ok(rule)
}

/// JSON Schema counts 30.0 as an integer: such numbers become integers before serde reads them.
fn whole_numbers(value: serde_json::Value) -> serde_json::Value {
    use serde_json::Value;
    match value {
        Value::Number(n) if n.as_i64().is_none() && n.as_u64().is_none() => n
            .as_f64()
            .filter(|f| f.fract() == 0.0 && f.abs() < 9.0e15)
            .map_or(Value::Number(n), |f| Value::from(f as i64)),
        Value::Array(items) => Value::Array(items.into_iter().map(whole_numbers).collect()),
        Value::Object(fields) => Value::Object(
            fields
                .into_iter()
                .map(|(k, v)| (k, whole_numbers(v)))
                .collect(),
        ),
        other => other,
    }
}

fn rule_json(rule: &rules::Rule) -> serde_json::Value {
    serde_json::to_value(rule).unwrap_or_default()
}

/// Only callers who see everything read rules: they name the e-mail domains that count.
async fn must_see_everything(caller: &Caller) -> Result<(), ApiError> {
    match caller.audience().await? {
        Audience::Everyone => Ok(()),
        Audience::Public => Err(ApiError::forbidden(
            "Reading a rule needs an API key (Authorization header) or an elevated session",
        )),
    }
}

/// `GET /insignia/v1/badges/{id}/rule`.
pub async fn get_rule(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<BadgeId>,
) -> Result<HttpResponse, ApiError> {
    must_see_everything(&caller).await?;
    let id = path.into_inner();
    let rule = db(&state, move |conn| Ok(rules::store::find(conn, &id)?)).await?;
    match rule {
        Some(rule) => ok(RuleResponse {
            rule: rule_json(&rule),
        }),
        None => Err(ApiError::rule_not_found()),
    }
}

/// `PUT /insignia/v1/badges/{id}/rule`: saves the rule and runs it over the site.
pub async fn put_rule(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<BadgeId>,
    body: Json<RuleRequest>,
) -> Result<HttpResponse, ApiError> {
    let actor = caller.authorize_change(&state).await?;
    let rule = read_rule(body.0)?;
    let id = path.into_inner();
    let saved = rule.clone();
    let outcome = db(&state, move |conn| {
        Ok(rules::store::save(conn, &actor, &id, &saved)?)
    })
    .await?;
    ok(RuleSaved {
        rule: rule_json(&rule),
        given: outcome.given,
        taken: outcome.taken,
    })
}

/// `DELETE /insignia/v1/badges/{id}/rule`: the holders keep the badge, as if given by hand.
pub async fn delete_rule(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<BadgeId>,
) -> Result<HttpResponse, ApiError> {
    let actor = caller.authorize_change(&state).await?;
    let id = path.into_inner();
    let removed = db(&state, move |conn| {
        Ok(rules::store::delete(conn, &actor, &id)?)
    })
    .await?;
    if !removed {
        return Err(ApiError::rule_not_found());
    }
    ok(super::wire::Empty {})
}

/// `POST /insignia/v1/badges/{id}/rule/preview`: what saving it would do; changes nothing.
pub async fn preview_rule(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<BadgeId>,
    body: Json<RuleRequest>,
) -> Result<HttpResponse, ApiError> {
    // Budgeted as a change: a preview reads the whole site.
    caller.authorize_change(&state).await?;
    let rule = read_rule(body.0)?;
    let id = path.into_inner();
    let preview = db(&state, move |conn| {
        Ok(rules::store::preview(conn, &id, &rule)?)
    })
    .await?;
    ok(RulePreview {
        matching: preview.matching,
        would_give: preview.would_give,
        would_take: preview.would_take,
        webhook_events: preview.events(),
    })
}
