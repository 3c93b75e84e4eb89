//! The OpenAPI 3.1 document at `/members/v3/openapi.json`, generated from the operation
//! table the router is built from (`api::operations`, passed in) and from the wire types' schemas,
//! so it describes exactly what is served.

use actix_web::Route;
use actix_web::http::Method;
use schemars::generate::SchemaSettings;
use schemars::{JsonSchema, Schema, SchemaGenerator};
use serde_json::{Map, Value, json};

use super::error::ErrorBody;

type SchemaFn = fn(&mut SchemaGenerator) -> Schema;

/// What `metadata.cursor` looks like (and `paging.cursor` must): `<millis>.<key>`
/// (`extension::holders` reads it).
pub const CURSOR_PATTERN: &str = "^[0-9]{1,18}\\.[0-9]{1,18}$";

fn schema_of<T: JsonSchema>(generator: &mut SchemaGenerator) -> Schema {
    generator.subschema_for::<T>()
}

/// One API operation: how it is routed and how it is described.
pub struct Operation {
    pub method: Method,
    /// [`super::paths::BASE`] for the Wix operations, [`super::paths::EXTENSION`] for
    /// Insignia's own.
    pub base: &'static str,
    /// Below `base`.
    pub path: &'static str,
    /// The Wix client function name.
    pub id: &'static str,
    pub summary: &'static str,
    /// Needs an API key or an elevated dashboard session with `X-CSRF-Token`.
    pub restricted: bool,
    pub paged: bool,
    /// Paged by `paging.limit` and `paging.cursor` (the next page's start, from the last).
    pub cursor_paged: bool,
    /// Takes `memberIds` in the query string.
    pub members_in_query: bool,
    pub request: Option<SchemaFn>,
    /// The body must be sent: without one the server finds its required fields missing.
    pub body_required: bool,
    pub response: SchemaFn,
    pub route: fn() -> Route,
}

impl Operation {
    pub fn new(
        method: Method,
        path: &'static str,
        id: &'static str,
        summary: &'static str,
        route: fn() -> Route,
    ) -> Operation {
        Operation {
            method,
            base: super::paths::BASE,
            path,
            id,
            summary,
            restricted: false,
            paged: false,
            cursor_paged: false,
            members_in_query: false,
            request: None,
            body_required: false,
            response: schema_of::<super::wire::Empty>,
            route,
        }
    }

    pub fn restricted(mut self) -> Self {
        self.restricted = true;
        self
    }

    pub fn paged(mut self) -> Self {
        self.paged = true;
        self
    }

    /// One of Insignia's own operations, under [`super::paths::EXTENSION`].
    pub fn extension(mut self) -> Self {
        self.base = super::paths::EXTENSION;
        self
    }

    pub fn cursor_paged(mut self) -> Self {
        self.cursor_paged = true;
        self
    }

    pub fn listing_members(mut self) -> Self {
        self.members_in_query = true;
        self
    }

    pub fn takes<T: JsonSchema>(mut self) -> Self {
        self.request = Some(schema_of::<T>);
        self
    }

    pub fn body_required(mut self) -> Self {
        self.body_required = true;
        self
    }

    pub fn responds<T: JsonSchema>(mut self) -> Self {
        self.response = schema_of::<T>;
        self
    }

    fn describe(&self, generator: &mut SchemaGenerator, error: &Value) -> Value {
        let mut parameters = Vec::new();
        if self.path.contains("{id}") {
            parameters.push(json!({"name": "id", "in": "path", "required": true,
                "description": "Badge id", "schema": {"type": "string", "format": "uuid"}}));
        }
        if self.paged {
            for (name, text) in [
                (
                    "paging.limit",
                    "Items per page: default 100, at most 1,000 (more is clamped)",
                ),
                ("paging.offset", "Items to skip: default 0"),
            ] {
                // Any i64 the server can read; each may be given once.
                parameters.push(json!({"name": name, "in": "query", "required": false,
                    "description": text, "schema": {"type": "integer", "format": "int64",
                    "minimum": 0, "maximum": i64::MAX}}));
            }
        }
        if self.cursor_paged {
            parameters.push(
                json!({"name": "paging.limit", "in": "query", "required": false,
                "description": "Items per page: default 100, at most 1,000 (more is clamped)",
                "schema": {"type": "integer", "format": "int64", "minimum": 0,
                    "maximum": i64::MAX}}),
            );
            parameters.push(
                json!({"name": "paging.cursor", "in": "query", "required": false,
                "description": "Where the page starts: metadata.cursor of the page before",
                "schema": {"type": "string", "pattern": CURSOR_PATTERN}}),
            );
        }
        if self.members_in_query {
            // The server also reads a JSON body `{"memberIds": [...]}` and joins it to these.
            // The body is left out of the document: a DELETE body has no meaning in HTTP, and
            // no schema can say "required unless the body has them".
            let max = super::input::MEMBER_IDS_MAX;
            let text = format!(
                "Member ids, the parameter repeated; 1 to {max} \
                 (a JSON body {{\"memberIds\": [...]}} is read too, joined to these)"
            );
            parameters.push(json!({"name": "memberIds", "in": "query", "required": true,
                "description": text, "style": "form", "explode": true,
                "schema": {"type": "array", "minItems": 1, "maxItems": max,
                    "items": {"type": "string", "format": "uuid"}}}));
        }
        let error_response = |text: &str| {
            json!({"description": text,
            "content": {"application/json": {"schema": error}}})
        };
        let mut responses = Map::new();
        responses.insert(
            "200".into(),
            json!({"description": "Success", "content": {"application/json":
                {"schema": (self.response)(generator)}}}),
        );
        let mut errors = vec![
            (
                "400",
                "Validation error or malformed JSON (validationError.fieldViolations)",
            ),
            ("401", "Unknown or revoked API key (UNAUTHENTICATED)"),
        ];
        if self.restricted {
            errors.push(("403", "Not permitted: no API key, or a session that is not elevated or sent no X-CSRF-Token (PERMISSION_DENIED)"));
        }
        if self.path.contains("{id}")
            || self.id == "updateBadgesDisplayOrder"
            || self.id == "assignBadge"
        {
            errors.push((
                "404",
                "Unknown badge (BADGE_NOT_FOUND) or member (MEMBER_NOT_FOUND)",
            ));
        }
        if self.id == "createBadge" {
            errors.push((
                "409",
                "Another badge has this title (BADGE_TITLE_ALREADY_EXISTS)",
            ));
        }
        if self.id == "updateBadge" {
            errors.push((
                "409",
                "Another badge has this title (BADGE_TITLE_ALREADY_EXISTS), or the change would make a badge both grant page permissions and be self-assignable (CONFLICT)",
            ));
        }
        if self.id == "giveBadge" {
            errors.push((
                "409",
                "expiresDate has already passed: an assignment must end in the future (CONFLICT)",
            ));
        }
        if self.request.is_some() {
            errors.push(("413", "Body larger than 256 KiB (PAYLOAD_TOO_LARGE)"));
        }
        if self.restricted {
            errors.push((
                "429",
                "Too many changes from this key or address (RATE_LIMITED, with Retry-After)",
            ));
        }
        errors.push(("500", "Server error (INTERNAL); nothing was changed"));
        for (status, text) in errors {
            responses.insert(status.into(), error_response(text));
        }
        let mut operation = json!({
            "operationId": self.id,
            "summary": self.summary,
            "parameters": parameters,
            "responses": responses,
            "security": if self.restricted {
                json!([{"apiKey": []}, {"dashboardSession": [], "csrfToken": []}])
            } else {
                json!([{}, {"apiKey": []}, {"dashboardSession": []}])
            },
        });
        if let Some(request) = self.request {
            operation["requestBody"] = json!({"required": self.body_required, "content":
                {"application/json": {"schema": request(generator)}}});
        }
        operation
    }
}

/// The whole document.
pub fn document_value(operations: Vec<Operation>) -> Value {
    let mut settings = SchemaSettings::draft2020_12();
    settings.definitions_path = "/components/schemas".into();
    let mut generator = settings.into_generator();
    let error = Value::from(generator.subschema_for::<ErrorBody>());
    let mut paths = Map::new();
    for op in operations {
        let described = op.describe(&mut generator, &error);
        let entry = paths
            .entry(format!("{}{}", op.base, op.path))
            .or_insert_with(|| json!({}));
        entry[op.method.as_str().to_ascii_lowercase()] = described;
    }
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "Insignia Badges API",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "Member badges, wire-compatible with the Wix Members Badges REST API v3 (com.wixpress.badges.v3.BadgesServiceV3).",
        },
        "paths": paths,
        "components": {
            "schemas": generator.take_definitions(true),
            "securitySchemes": {
                "apiKey": {"type": "apiKey", "in": "header", "name": "Authorization",
                    "description": "An API key from /dashboard/api-keys, bare or as `Bearer <key>`"},
                "dashboardSession": {"type": "apiKey", "in": "cookie", "name": "insignia"},
                "csrfToken": {"type": "apiKey", "in": "header", "name": "X-CSRF-Token"},
            },
        },
    })
}
