//! The JSON shapes of the API, exactly as the Wix Members Badges v3 wire format has them
//! (`docs/api.md`). Requests are lenient (unknown fields ignored, every field optional so that a
//! missing one is reported as a rule, not a parse error); responses are exact.

use std::borrow::Cow;

use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde::{Deserialize, Serialize};

use super::input::{MEMBER_IDS_MAX, Object, whole_number};
use insignia_core::badges::icon::{self, URL_MAX};
use insignia_core::badges::rules::{DESCRIPTION_MAX, TITLE_MAX};
use insignia_core::badges::{Badge, BadgeInput};

pub use insignia_core::badges::wire::BadgeOut;

/// Badge fields a caller may send. Read-only fields (`slug`, dates) are ignored. Text is
/// trimmed before it is checked; a field left out (or `null`) keeps its current value, or
/// takes its default on a new badge.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(transform = not_both_access_flags)]
pub struct BadgeIn {
    /// The id is the one in the path; another one is refused.
    #[schemars(extend("readOnly" = true, "format" = "uuid"))]
    pub id: Option<String>,
    /// Trimmed, in NFC, 1 to 100 characters, something visible, no control or invisible
    /// characters (joiners and variation selectors only beside visible characters, tags only
    /// in a subdivision flag). Unique ignoring case, invisible characters, Unicode form and
    /// spacing.
    #[serde(default)]
    #[schemars(schema_with = "title_text")]
    pub title: Option<String>,
    /// Trimmed, in NFC, at most 1,500 characters; line breaks and tabs but no other control
    /// character and no bidirectional formatting character.
    #[serde(default)]
    #[schemars(schema_with = "description_text")]
    pub description: Option<String>,
    /// `#RRGGBB` in any letter case (stored uppercase); empty for the default `#796EFF`.
    #[schemars(regex(pattern = *COLOR))]
    pub background_color: Option<String>,
    /// `#RRGGBB` in any letter case (stored uppercase); empty for the default `#FFFFFF`.
    #[schemars(regex(pattern = *COLOR))]
    pub text_color: Option<String>,
    /// A built-in icon (`star` or `/static/icons/star.svg`), an uploaded one
    /// (`/icons/<uuid>.svg`), an http(s) URL of at most 2,048 characters, or empty.
    #[schemars(regex(pattern = *ICON))]
    pub icon: Option<String>,
    pub permissions_enabled: Option<bool>,
    /// Not together with `permissionsEnabled`: a badge that unlocks pages cannot be one that
    /// members give themselves. Changing one of the two on a badge that has the other is
    /// refused too.
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
            // Not a Wix field: the Wix operations keep what the dashboard set.
            valid_for_days: current.valid_for_days,
        }
    }
}

/// The body of `updateBadge`.
#[derive(Debug, Default, Deserialize, JsonSchema)]
pub struct BadgeRequest {
    #[schemars(required)]
    pub badge: Option<Object<BadgeIn>>,
}

/// The body of `createBadge`: as for an update, and the title is required.
#[derive(Debug, Default, Deserialize, JsonSchema)]
pub struct NewBadgeRequest {
    #[schemars(required, with = "NewBadgeIn")]
    pub badge: Option<Object<BadgeIn>>,
}

impl From<NewBadgeRequest> for BadgeRequest {
    fn from(request: NewBadgeRequest) -> Self {
        BadgeRequest {
            badge: request.badge,
        }
    }
}

/// [`BadgeIn`] as a new badge needs it: with a title. Only described, never read: a new
/// badge is read as a [`BadgeIn`].
pub struct NewBadgeIn;

impl JsonSchema for NewBadgeIn {
    fn schema_name() -> Cow<'static, str> {
        "NewBadgeIn".into()
    }

    fn json_schema(generator: &mut SchemaGenerator) -> Schema {
        let mut schema = BadgeIn::json_schema(generator);
        schema.insert("description".into(), "The fields of a new badge.".into());
        schema.insert("required".into(), serde_json::json!(["title"]));
        if let Some(title) = schema
            .get_mut("properties")
            .and_then(|p| p.get_mut("title"))
            .and_then(serde_json::Value::as_object_mut)
        {
            title.insert("type".into(), "string".into());
        }
        schema
    }
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
    /// Items per page: default 100, at most 1,000 (more is clamped).
    #[serde(default, deserialize_with = "whole_number")]
    #[schemars(range(min = 0, max = i64::MAX))]
    pub limit: Option<i64>,
    /// Items to skip: default 0.
    #[serde(default, deserialize_with = "whole_number")]
    #[schemars(range(min = 0, max = i64::MAX))]
    pub offset: Option<i64>,
}

/// A badge query: filter, sort and page.
#[derive(Debug, Default, Deserialize, JsonSchema)]
pub struct Query {
    /// Wix query filter over `id`, `title` and `slug`.
    #[serde(default)]
    #[schemars(schema_with = "nullable_filter")]
    pub filter: Option<serde_json::Value>,
    /// `[{"fieldName": "title", "order": "ASC"}]`.
    #[serde(default)]
    #[schemars(schema_with = "sort_list")]
    pub sort: Option<serde_json::Value>,
    pub paging: Option<Object<PagingIn>>,
}

/// The body of `queryBadges`: the query itself, or wrapped in `query` as some clients send it
/// (then the wrapped one is run; the outer fields must still be valid).
#[derive(Debug, Default, Deserialize, JsonSchema)]
pub struct QueryRequest {
    /// Wix query filter over `id`, `title` and `slug`.
    #[serde(default)]
    #[schemars(schema_with = "nullable_filter")]
    pub filter: Option<serde_json::Value>,
    /// `[{"fieldName": "title", "order": "ASC"}]`.
    #[serde(default)]
    #[schemars(schema_with = "sort_list")]
    pub sort: Option<serde_json::Value>,
    pub paging: Option<Object<PagingIn>>,
    pub query: Option<Object<Query>>,
}

impl QueryRequest {
    /// The query written at the top level, and the wrapped one if any.
    pub fn into_parts(self) -> (Query, Option<Query>) {
        (
            Query {
                filter: self.filter,
                sort: self.sort,
                paging: self.paging,
            },
            self.query.map(|Object(query)| query),
        )
    }
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct Empty {}

#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct AssignRequest {
    /// The badge id again (the Wix client repeats it); the path decides, this is not read.
    pub id: Option<String>,
    #[schemars(schema_with = "member_id_list")]
    pub member_ids: Option<Vec<String>>,
}

#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct MemberIdsRequest {
    #[schemars(schema_with = "member_id_list")]
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
    /// Badges to put first, each once.
    #[schemars(schema_with = "badge_id_list")]
    pub badge_ids: Option<Vec<String>>,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct BadgesResponse {
    pub badges: Vec<BadgeOut>,
}

// ------------------------------------------------------------------ request schemas
//
// What the schemas of request fields state is what the server checks (in `input.rs` and in
// `insignia_core::badges`), so that a request the document allows is one the server accepts.

/// White space as Rust's `str::trim` sees it (Unicode `White_Space`), in a regular-expression
/// class; both the ECMAScript and the Python dialects read these escapes alike.
const SPACE: &str = r"\t-\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000";

/// Patterns for badge text, built from the same character rules that titles and descriptions
/// are checked with (`insignia_core::text`), so that they follow those rules when they change.
struct TextPatterns {
    /// No refused character, at most [`TITLE_MAX`] once trimmed.
    title: String,
    /// Some character that draws ink; joiners only between two of them (or after a variation
    /// selector or a flag), variation selectors only right after one, tags only in a
    /// subdivision flag (as `insignia_core::text::clean_line` has it).
    visible: String,
    description: String,
}

static TEXT: std::sync::LazyLock<TextPatterns> = std::sync::LazyLock::new(|| {
    use insignia_core::text::{Kind, kind, refused_in_line, refused_in_lines};
    let mut space = Vec::new();
    let mut not_in_title = Vec::new();
    let (mut ink, mut joiner, mut selector, mut other) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    let mut not_in_description = Vec::new();
    for c in (0..=0x10_FFFF).filter_map(char::from_u32) {
        for (yes, list) in [
            (c.is_whitespace(), &mut space),
            (refused_in_line(c), &mut not_in_title),
            (refused_in_lines(c), &mut not_in_description),
        ] {
            if yes {
                list.push(c);
            }
        }
        match kind(c) {
            Kind::Ink => ink.push(c),
            Kind::Joiner => joiner.push(c),
            Kind::Selector => selector.push(c),
            // Tags are only read as part of a flag, below.
            Kind::FlagTag => {}
            Kind::Blank | Kind::Refused => other.push(c),
        }
    }
    let (space, not_in_title, not_in_description) = (
        class(&space),
        class(&not_in_title),
        class(&not_in_description),
    );
    // Trimmed text runs from a character that is not space to another one (or is one
    // character), so its length can be bounded between the two.
    let trimmed = |refused: &str, max: usize| {
        format!(
            "^[{space}]*([^{refused}{space}]([^{refused}]{{0,{}}}[^{refused}{space}])?)?[{space}]*$",
            max - 2
        )
    };
    // A unit draws ink: a character with an optional variation selector, or a subdivision
    // flag (the black flag, two tag letters, one to four tag letters or digits, the cancel
    // tag). Joiners join units; the other characters go between them; one unit at least.
    let (ink, joiner, selector, other) =
        (class(&ink), class(&joiner), class(&selector), class(&other));
    let tag_letter = class(&('\u{E0061}'..='\u{E007A}').collect::<Vec<_>>());
    let tag_digit = class(&('\u{E0030}'..='\u{E0039}').collect::<Vec<_>>());
    let flag = format!("\u{1F3F4}[{tag_letter}]{{2}}[{tag_letter}{tag_digit}]{{1,4}}\u{E007F}");
    let unit = format!("(?:[{ink}][{selector}]?|{flag})");
    TextPatterns {
        title: trimmed(&not_in_title, TITLE_MAX),
        visible: format!("^[{other}]*(?:{unit}(?:[{joiner}]{unit})*[{other}]*)+$"),
        description: trimmed(&not_in_description, DESCRIPTION_MAX),
    }
});

fn title_text(_: &mut SchemaGenerator) -> Schema {
    json_schema!({
        "type": ["string", "null"],
        "pattern": TEXT.title,
        "allOf": [{"pattern": TEXT.visible}],
    })
}

fn description_text(_: &mut SchemaGenerator) -> Schema {
    json_schema!({"type": ["string", "null"], "pattern": TEXT.description})
}

/// The body of a regular-expression class holding exactly `chars` (in ascending order), as
/// ranges. Written so that ECMAScript and Python read it alike: ASCII letters and digits as
/// themselves, other characters of the Basic Multilingual Plane as `\uXXXX`, the others as
/// themselves (the two dialects spell their escapes differently).
fn class(chars: &[char]) -> String {
    fn one(c: char) -> String {
        if c.is_ascii_alphanumeric() {
            c.to_string()
        } else if u32::from(c) <= 0xFFFF {
            format!("\\u{:04x}", u32::from(c))
        } else {
            c.to_string()
        }
    }
    let mut out = String::new();
    let mut i = 0;
    while i < chars.len() {
        let start = chars[i];
        let mut end = start;
        while i + 1 < chars.len() && u32::from(chars[i + 1]) == u32::from(end) + 1 {
            i += 1;
            end = chars[i];
        }
        out.push_str(&one(start));
        if end != start {
            out.push('-');
            out.push_str(&one(end));
        }
        i += 1;
    }
    out
}

/// Empty, or `#RRGGBB`, with white space around.
static COLOR: std::sync::LazyLock<String> =
    std::sync::LazyLock::new(|| format!("^[{SPACE}]*(#[0-9A-Fa-f]{{6}})?[{SPACE}]*$"));

/// What `Icon::parse` accepts: empty, a built-in name bare or as its path, an upload path
/// with a UUID in any form the uuid crate reads, or an http(s) URL with a host, of at most
/// `URL_MAX` characters, without white space, control characters, quotes, `<`, `>`, `\` or
/// a backquote.
static ICON: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
    let names = icon::builtin_names()
        .map(|name| {
            name.chars()
                .map(|c| {
                    if c.is_ascii_alphanumeric() || c == '-' {
                        c.to_string()
                    } else {
                        format!("\\{c}")
                    }
                })
                .collect::<String>()
        })
        .collect::<Vec<_>>()
        .join("|");
    let hex = "[0-9A-Fa-f]";
    let dashed = format!("{hex}{{8}}-{hex}{{4}}-{hex}{{4}}-{hex}{{4}}-{hex}{{12}}");
    let uuid = format!("{dashed}|{hex}{{32}}|\\{{{dashed}\\}}|urn:uuid:{dashed}");
    let url_char = format!("[^\\u0000-\\u001f\\u007f-\\u009f{SPACE}\"'<>\\\\`]");
    let host_char = format!("[^\\u0000-\\u001f\\u007f-\\u009f{SPACE}\"'<>\\\\`/?#]");
    let http = format!(
        "[hH][tT][tT][pP]://{host_char}{url_char}{{0,{}}}",
        URL_MAX - "http://".len() - 1
    );
    let https = format!(
        "[hH][tT][tT][pP][sS]://{host_char}{url_char}{{0,{}}}",
        URL_MAX - "https://".len() - 1
    );
    format!(
        "^[{SPACE}]*({names}|/static/icons/({names})\\.svg|/icons/({uuid})\\.svg|{http}|{https})?[{SPACE}]*$"
    )
});

/// A badge cannot both unlock pages and be self-assignable.
fn not_both_access_flags(schema: &mut Schema) {
    schema.insert(
        "not".into(),
        serde_json::json!({
            "required": ["permissionsEnabled", "selfAssignable"],
            "properties": {
                "permissionsEnabled": {"const": true},
                "selfAssignable": {"const": true},
            },
        }),
    );
}

/// Member ids in a request: 1 to `MEMBER_IDS_MAX` (counted as sent; repeats then count once).
pub fn member_id_list(_: &mut SchemaGenerator) -> Schema {
    json_schema!({
        "type": "array",
        "minItems": 1,
        "maxItems": MEMBER_IDS_MAX,
        "items": {"type": "string", "format": "uuid"},
    })
}

/// Badge ids, each at most once.
fn badge_id_list(_: &mut SchemaGenerator) -> Schema {
    json_schema!({
        "type": "array",
        "uniqueItems": true,
        "items": {"type": "string", "format": "uuid"},
    })
}

/// A filter, or `null` for none.
fn nullable_filter(generator: &mut SchemaGenerator) -> Schema {
    json_schema!({"anyOf": [generator.subschema_for::<QueryFilter>(), {"type": "null"}]})
}

/// The filter language `insignia_core::badges::query` reads.
pub struct QueryFilter;

impl JsonSchema for QueryFilter {
    fn schema_name() -> Cow<'static, str> {
        "QueryFilter".into()
    }

    fn json_schema(generator: &mut SchemaGenerator) -> Schema {
        let itself = generator.subschema_for::<QueryFilter>();
        let condition = serde_json::json!({
            "anyOf": [
                {"type": "string", "description": "Equal to this"},
                {
                    "type": "object",
                    "properties": {
                        "$eq": {"type": "string"},
                        "$ne": {"type": "string"},
                        "$startsWith": {"type": "string", "description": "Ignoring case"},
                        "$in": {"type": "array", "items": {"type": "string"}},
                    },
                    "additionalProperties": false,
                },
            ],
        });
        json_schema!({
            "type": "object",
            "description": "Conditions on `id` (or `_id`), `title` and `slug`, all of which must hold; `$and` and `$or` combine filters.",
            "properties": {
                "id": condition,
                "_id": condition,
                "title": condition,
                "slug": condition,
                "$and": {"type": "array", "items": itself},
                "$or": {"type": "array", "items": itself},
            },
            "additionalProperties": false,
        })
    }
}

/// Sorts, first one first, or `null` for display order.
fn sort_list(_: &mut SchemaGenerator) -> Schema {
    json_schema!({
        "type": ["array", "null"],
        "items": {
            "type": "object",
            "properties": {
                "fieldName": {"enum": [
                    "title", "slug", "createdDate", "_createdDate", "updatedDate", "_updatedDate",
                ]},
                "order": {"enum": ["ASC", "DESC", null]},
            },
            "required": ["fieldName"],
        },
    })
}

#[cfg(test)]
mod tests {
    use super::TEXT;
    use insignia_core::badges::rules::Title;

    /// The document's two title patterns together accept exactly the titles the server
    /// accepts, for every string of up to four pieces drawn from letters, spaces, braille
    /// blanks, joiners, selectors, flags and tags, and refused characters.
    #[test]
    fn the_title_patterns_accept_what_the_server_accepts() {
        let title = regex::Regex::new(&TEXT.title).expect("title pattern");
        let visible = regex::Regex::new(&TEXT.visible).expect("visible pattern");
        let pieces = [
            "a",
            " ",
            "\u{2800}",
            "\u{200D}",
            "\u{200C}",
            "\u{FE0F}",
            "\u{E0100}",
            "\u{115F}",
            "\u{AD}",
            "\u{1F3F4}",
            "\u{1F3F4}\u{E0067}\u{E0062}\u{E0065}",
            "\u{E0067}",
            "\u{E0031}",
            "\u{E007F}",
            "\u{E0041}",
        ];
        let mut texts = vec![String::new()];
        let mut last = vec![String::new()];
        for _ in 0..4 {
            last = last
                .iter()
                .flat_map(|text| pieces.iter().map(move |piece| format!("{text}{piece}")))
                .collect();
            texts.extend(last.iter().cloned());
        }
        let mut accepted = 0;
        for text in &texts {
            let server = Title::parse(text).is_ok();
            let document = title.is_match(text) && visible.is_match(text);
            assert_eq!(document, server, "{text:?}");
            accepted += usize::from(server);
        }
        // Not a vacuous agreement: both sides accept some and refuse most.
        assert!(accepted > 500 && accepted < texts.len() / 2, "{accepted}");
        assert!(
            Title::parse("\u{1F3F4}\u{E0067}\u{E0062}\u{E0065}\u{E006E}\u{E0067}\u{E007F}").is_ok()
        );
        assert!(
            visible.is_match("\u{1F3F4}\u{E0067}\u{E0062}\u{E0065}\u{E006E}\u{E0067}\u{E007F}")
        );
    }
}
