//! Insignia's own operations under `/insignia/v1` (docs/api.md): what the Wix API has no word
//! for. Badges valid for a time: how long a badge's assignments last, giving with an end of
//! its own, and the holders with when each got it and when it ends. Same callers, checks and
//! error shape as the Wix operations.

use actix_web::{HttpRequest, HttpResponse, web};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::answer::{db, ok};
use super::caller::Caller;
use super::error::ApiError;
use super::input::{self, Json};
use crate::paging::TimeCursor;
use crate::state::AppState;
use insignia_core::badges::rules::VALID_FOR_DAYS_MAX;
use insignia_core::badges::{Rule, store};
use insignia_core::clock::Timestamp;
use insignia_core::ids::{BadgeId, MemberId};
use insignia_core::members::{assignments, search};

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

/// `expiresDate` as sent: an RFC 3339 time after now. A time that has passed is a well-formed
/// request the clock refuses, so it conflicts (409) rather than being malformed (400).
fn read_end(sent: Option<String>) -> Result<Option<Timestamp>, ApiError> {
    let Some(text) = sent else {
        return Ok(None);
    };
    let end = Timestamp::parse(text.trim()).ok_or_else(|| {
        ApiError::violation(
            "expiresDate",
            Rule::Format,
            "must be a time in RFC 3339, such as 2027-03-12T09:00:00Z",
        )
    })?;
    if end <= Timestamp::now() {
        return Err(crate::error::AppError::Conflict(format!(
            "expiresDate {end} has already passed: an assignment must end in the future"
        ))
        .into());
    }
    Ok(Some(end))
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
    let ids = input::member_ids(member_ids)?;
    let until = read_end(expires_date)?;
    let id = path.into_inner();
    let requested = ids.clone();
    db(&state, move |conn| {
        Ok(assignments::assign_until(
            conn,
            &actor,
            &id,
            &MemberId::all(&ids),
            until,
        )?)
    })
    .await?;
    ok(GiveResponse {
        member_ids: requested,
    })
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
