//! The JSON shapes of the API, exactly as the Wix Members Badges v3 wire format has them
//! (`API.md`). Requests are lenient (unknown fields ignored, every field optional so that a
//! missing one is reported as a rule, not a parse error); responses are exact.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::badges::{Badge, BadgeInput};

#[derive(Debug, Clone, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct BadgeOut {
    pub id: String,
    pub title: String,
    pub description: String,
    /// `#RRGGBB`, uppercase.
    pub background_color: String,
    pub text_color: String,
    /// A built-in icon (`/static/icons/<name>.svg`), an uploaded one (`/icons/<id>.svg`),
    /// an http(s) URL, or empty.
    pub icon: String,
    pub permissions_enabled: bool,
    /// Insignia's extra: members may add or remove this badge themselves.
    pub self_assignable: bool,
    pub slug: String,
    /// RFC 3339 UTC with milliseconds.
    pub created_date: String,
    pub updated_date: String,
}

impl From<Badge> for BadgeOut {
    fn from(b: Badge) -> Self {
        BadgeOut {
            id: b.id,
            title: b.title,
            description: b.description,
            background_color: b.background_color,
            text_color: b.text_color,
            icon: b.icon,
            permissions_enabled: b.permissions_enabled,
            self_assignable: b.self_assignable,
            slug: b.slug,
            created_date: b.created_at,
            updated_date: b.updated_at,
        }
    }
}

/// Badge fields a caller may send. Read-only fields (`slug`, dates) are ignored.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct BadgeIn {
    pub id: Option<String>,
    pub title: Option<String>,
    pub description: Option<String>,
    pub background_color: Option<String>,
    pub text_color: Option<String>,
    pub icon: Option<String>,
    pub permissions_enabled: Option<bool>,
    pub self_assignable: Option<bool>,
}

impl BadgeIn {
    /// The input for a new badge: what is missing takes its default.
    pub fn into_new(self) -> BadgeInput {
        self.over(BadgeInput::default())
    }

    /// The input for an update: what is missing keeps its current value.
    pub fn over(self, current: BadgeInput) -> BadgeInput {
        BadgeInput {
            title: self.title.unwrap_or(current.title),
            description: self.description.unwrap_or(current.description),
            background_color: self.background_color.unwrap_or(current.background_color),
            text_color: self.text_color.unwrap_or(current.text_color),
            icon: self.icon.unwrap_or(current.icon),
            permissions_enabled: self
                .permissions_enabled
                .unwrap_or(current.permissions_enabled),
            self_assignable: self.self_assignable.unwrap_or(current.self_assignable),
        }
    }
}

#[derive(Debug, Default, Deserialize, JsonSchema)]
pub struct BadgeRequest {
    pub badge: Option<BadgeIn>,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct BadgeResponse {
    pub badge: BadgeOut,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct PagingMetadata {
    /// Items in this page.
    pub count: usize,
    pub offset: i64,
    /// Items in all pages (exact).
    pub total: i64,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct BadgesPage {
    pub badges: Vec<BadgeOut>,
    pub metadata: PagingMetadata,
}

impl BadgesPage {
    pub fn new(page: Vec<Badge>, offset: i64, total: i64) -> BadgesPage {
        BadgesPage {
            metadata: PagingMetadata {
                count: page.len(),
                offset,
                total,
            },
            badges: page.into_iter().map(BadgeOut::from).collect(),
        }
    }
}

#[derive(Debug, Default, Deserialize, JsonSchema)]
pub struct PagingIn {
    pub limit: Option<i64>,
    pub offset: Option<i64>,
}

/// The body of `queryBadges`: the query itself, or wrapped in `query` as some clients send it.
#[derive(Debug, Default, Deserialize, JsonSchema)]
pub struct QueryRequest {
    /// Wix query filter over `id`, `title` and `slug`.
    pub filter: Option<serde_json::Value>,
    /// `[{"fieldName": "title", "order": "ASC"}]`.
    pub sort: Option<serde_json::Value>,
    pub paging: Option<PagingIn>,
    pub query: Option<Box<QueryRequest>>,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct Empty {}

#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct AssignRequest {
    /// The badge id again (the Wix client repeats it); the path decides.
    pub id: Option<String>,
    pub member_ids: Option<Vec<String>>,
}

#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct MemberIdsRequest {
    pub member_ids: Option<Vec<String>>,
}

#[derive(Debug, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct MemberIdsResponse {
    pub member_ids: Vec<String>,
}

#[derive(Debug, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct MembersPage {
    pub member_ids: Vec<String>,
    pub metadata: PagingMetadata,
}

#[derive(Debug, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct MemberBadgeIds {
    pub member_id: String,
    /// In display order.
    pub badge_ids: Vec<String>,
}

#[derive(Debug, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct MemberBadgeIdsResponse {
    pub member_badge_ids: Vec<MemberBadgeIds>,
}

#[derive(Debug, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct BadgeMemberCount {
    pub badge_id: String,
    pub member_count: i64,
}

#[derive(Debug, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct BadgeMemberCountsResponse {
    pub badge_member_counts: Vec<BadgeMemberCount>,
}

#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct OrderRequest {
    pub badge_ids: Option<Vec<String>>,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct BadgesResponse {
    pub badges: Vec<BadgeOut>,
}

// ------------------------------------------------------------------ errors

#[derive(Debug, Serialize, JsonSchema)]
pub struct ErrorBody {
    pub message: String,
    pub details: ErrorDetails,
}

#[derive(Debug, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ErrorDetails {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub application_error: Option<ApplicationError>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub validation_error: Option<ValidationError>,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct ApplicationError {
    /// For example `BADGE_NOT_FOUND`, `MEMBER_NOT_FOUND`, `UNAUTHENTICATED`.
    pub code: String,
    pub description: String,
}

#[derive(Debug, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ValidationError {
    pub field_violations: Vec<FieldViolation>,
}

#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct FieldViolation {
    /// Path of the field, e.g. `badge.title` or `paging.limit`.
    pub field: String,
    pub description: String,
    /// `REQUIRED_FIELD`, `MAX_LENGTH`, `FORMAT` or `OTHER`.
    pub violated_rule: String,
}
