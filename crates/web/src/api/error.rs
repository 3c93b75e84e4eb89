//! API failures in the Wix error shape: `applicationError` with a code, or (400)
//! `validationError` with field violations. Internal details are logged, never sent.

use actix_web::http::{StatusCode, header};
use actix_web::{HttpResponse, ResponseError};

use crate::error::AppError;
use insignia_core::badges::{BadgeError, FieldError, Rule};
use insignia_core::members::assignments::AssignError;
use schemars::JsonSchema;
use serde::Serialize;

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("{}", .0.first().map(|v| format!("{} {}", v.field, v.description)).unwrap_or_default())]
    Validation(Vec<FieldViolation>),
    #[error("{description}")]
    Application {
        status: StatusCode,
        code: &'static str,
        description: String,
        /// Seconds, for 429.
        retry_after: Option<u64>,
    },
}

fn rule_name(rule: Rule) -> &'static str {
    match rule {
        Rule::Required => "REQUIRED_FIELD",
        Rule::MaxLength => "MAX_LENGTH",
        Rule::Format => "FORMAT",
        Rule::Other => "OTHER",
    }
}

impl ApiError {
    pub fn violation(field: &str, rule: Rule, description: impl Into<String>) -> ApiError {
        ApiError::Validation(vec![FieldViolation {
            field: field.to_string(),
            description: description.into(),
            violated_rule: rule_name(rule).to_string(),
        }])
    }

    fn application(status: StatusCode, code: &'static str, description: String) -> ApiError {
        ApiError::Application {
            status,
            code,
            description,
            retry_after: None,
        }
    }

    pub fn badge_not_found() -> ApiError {
        Self::application(
            StatusCode::NOT_FOUND,
            "BADGE_NOT_FOUND",
            "Badge not found".into(),
        )
    }

    pub fn rule_not_found() -> ApiError {
        Self::application(
            StatusCode::NOT_FOUND,
            "RULE_NOT_FOUND",
            "This badge has no rule: it is given by hand".into(),
        )
    }

    pub fn members_not_found(ids: &[String]) -> ApiError {
        Self::application(
            StatusCode::NOT_FOUND,
            "MEMBER_NOT_FOUND",
            format!("Members not found: {}", ids.join(", ")),
        )
    }

    pub fn route_not_found() -> ApiError {
        Self::application(
            StatusCode::NOT_FOUND,
            "NOT_FOUND",
            "No such API operation".into(),
        )
    }

    pub fn method_not_allowed() -> ApiError {
        Self::application(
            StatusCode::METHOD_NOT_ALLOWED,
            "METHOD_NOT_ALLOWED",
            "This operation does not accept that HTTP method".into(),
        )
    }

    pub fn unauthenticated() -> ApiError {
        Self::application(
            StatusCode::UNAUTHORIZED,
            "UNAUTHENTICATED",
            "The API key is not valid (unknown or revoked)".into(),
        )
    }

    pub fn forbidden(description: impl Into<String>) -> ApiError {
        Self::application(
            StatusCode::FORBIDDEN,
            "PERMISSION_DENIED",
            description.into(),
        )
    }

    pub fn too_large(limit: usize) -> ApiError {
        Self::application(
            StatusCode::PAYLOAD_TOO_LARGE,
            "PAYLOAD_TOO_LARGE",
            format!("The request body is larger than {} KiB", limit / 1024),
        )
    }

    pub fn rate_limited(retry_after: u64) -> ApiError {
        ApiError::Application {
            status: StatusCode::TOO_MANY_REQUESTS,
            code: "RATE_LIMITED",
            description: format!("Too many changes; try again in {retry_after} s"),
            retry_after: Some(retry_after),
        }
    }

    pub fn internal(detail: impl std::fmt::Display) -> ApiError {
        tracing::error!(error = %detail, "internal error in the API");
        Self::application(
            StatusCode::INTERNAL_SERVER_ERROR,
            "INTERNAL",
            "The server could not finish this request; nothing was changed".into(),
        )
    }

    fn body(&self) -> ErrorBody {
        match self {
            ApiError::Validation(violations) => ErrorBody {
                message: self.to_string(),
                details: ErrorDetails {
                    application_error: None,
                    validation_error: Some(ValidationError {
                        field_violations: violations.clone(),
                    }),
                },
            },
            ApiError::Application {
                code, description, ..
            } => ErrorBody {
                message: description.clone(),
                details: ErrorDetails {
                    application_error: Some(ApplicationError {
                        code: (*code).to_string(),
                        description: description.clone(),
                    }),
                    validation_error: None,
                },
            },
        }
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        match self {
            ApiError::Validation(_) => StatusCode::BAD_REQUEST,
            ApiError::Application { status, .. } => *status,
        }
    }

    fn error_response(&self) -> HttpResponse {
        let mut response = HttpResponse::build(self.status_code());
        if let ApiError::Application {
            retry_after: Some(seconds),
            ..
        } = self
        {
            response.insert_header((header::RETRY_AFTER, seconds.to_string()));
        }
        response.json(self.body())
    }
}

impl From<Vec<FieldError>> for ApiError {
    fn from(errors: Vec<FieldError>) -> Self {
        ApiError::Validation(
            errors
                .into_iter()
                .map(|e| FieldViolation {
                    field: e.field.api_name().to_string(),
                    description: e.message,
                    violated_rule: rule_name(e.rule).to_string(),
                })
                .collect(),
        )
    }
}

impl From<AppError> for ApiError {
    fn from(e: AppError) -> Self {
        match e {
            AppError::NotFound => {
                Self::application(StatusCode::NOT_FOUND, "NOT_FOUND", "Not found".into())
            }
            AppError::Forbidden(m) => ApiError::forbidden(m),
            AppError::BadRequest(m) => ApiError::violation("", Rule::Other, m),
            AppError::Conflict(m) => Self::application(StatusCode::CONFLICT, "CONFLICT", m),
            AppError::TooManyRequests {
                message,
                retry_after,
            } => ApiError::Application {
                status: StatusCode::TOO_MANY_REQUESTS,
                code: "RATE_LIMITED",
                description: message,
                retry_after: Some(retry_after),
            },
            AppError::PayloadTooLarge(m) => {
                Self::application(StatusCode::PAYLOAD_TOO_LARGE, "PAYLOAD_TOO_LARGE", m)
            }
            AppError::NeedsSignIn { .. }
            | AppError::NeedsMemberSignIn { .. }
            | AppError::NeedsElevation { .. } => {
                ApiError::forbidden("This operation needs an API key or an elevated session")
            }
            AppError::Internal(detail) => ApiError::internal(detail),
        }
    }
}

impl From<insignia_core::Error> for ApiError {
    fn from(e: insignia_core::Error) -> Self {
        match e {
            insignia_core::Error::Automatic(_) => {
                Self::application(StatusCode::CONFLICT, "BADGE_IS_AUTOMATIC", e.to_string())
            }
            other => AppError::from(other).into(),
        }
    }
}

impl From<diesel::result::Error> for ApiError {
    fn from(e: diesel::result::Error) -> Self {
        AppError::from(e).into()
    }
}

impl From<BadgeError> for ApiError {
    fn from(e: BadgeError) -> Self {
        match e {
            BadgeError::Invalid(errors) => errors.into(),
            BadgeError::NotFound => ApiError::badge_not_found(),
            BadgeError::DuplicateTitle => Self::application(
                StatusCode::CONFLICT,
                "BADGE_TITLE_ALREADY_EXISTS",
                "A badge with this title already exists".into(),
            ),
            BadgeError::StaleOrder => Self::application(
                StatusCode::CONFLICT,
                "ORDER_CHANGED",
                "The badge order changed meanwhile; read it again".into(),
            ),
            BadgeError::BadOrder(m) => ApiError::violation("badgeIds", Rule::Other, m),
            BadgeError::App(app) => AppError::from(app).into(),
        }
    }
}

impl From<AssignError> for ApiError {
    fn from(e: AssignError) -> Self {
        match e {
            AssignError::BadgeNotFound => ApiError::badge_not_found(),
            AssignError::MembersNotFound(ids) => ApiError::members_not_found(&ids),
            AssignError::TooMany => {
                ApiError::violation("memberIds", Rule::MaxLength, e.to_string())
            }
            // Only pasted text (the dashboard's bulk box) can hold it.
            AssignError::NotText(_) => AppError::BadRequest(e.to_string()).into(),
            AssignError::EndPassed => {
                Self::application(StatusCode::CONFLICT, "CONFLICT", e.to_string())
            }
            AssignError::App(app) => app.into(),
        }
    }
}

impl From<insignia_core::rules::RuleError> for ApiError {
    fn from(e: insignia_core::rules::RuleError) -> Self {
        use insignia_core::rules::RuleError;
        match e {
            RuleError::BadgeNotFound => ApiError::badge_not_found(),
            RuleError::UnknownBadges(_) => {
                Self::application(StatusCode::NOT_FOUND, "BADGE_NOT_FOUND", e.to_string())
            }
            RuleError::Invalid(_) => ApiError::violation("rule", Rule::Other, e.to_string()),
            RuleError::Loop(_) => {
                Self::application(StatusCode::CONFLICT, "RULE_LOOP", e.to_string())
            }
            RuleError::SelfAssignable(_) => Self::application(
                StatusCode::CONFLICT,
                "BADGE_IS_SELF_ASSIGNABLE",
                e.to_string(),
            ),
            RuleError::App(app) => app.into(),
        }
    }
}

// ------------------------------------------------------------------ the wire shape of errors

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

#[cfg(test)]
mod tests {
    use super::*;

    fn body_of(error: ApiError) -> serde_json::Value {
        serde_json::to_value(error.body()).unwrap_or_default()
    }

    #[test]
    fn server_errors_never_carry_internals() {
        let error = ApiError::internal("disk I/O error at /var/lib/insignia.db");
        assert_eq!(error.status_code(), StatusCode::INTERNAL_SERVER_ERROR);
        let body = body_of(error).to_string();
        assert!(body.contains("INTERNAL"));
        assert!(!body.contains("disk") && !body.contains("/var/lib"));
    }

    #[test]
    fn validation_errors_name_field_and_rule() {
        let error = ApiError::from(vec![FieldError::new(
            insignia_core::badges::Field::Title,
            Rule::Required,
            "must not be empty",
        )]);
        assert_eq!(
            body_of(error),
            serde_json::json!({
                "message": "badge.title must not be empty",
                "details": {"validationError": {"fieldViolations": [{
                    "field": "badge.title",
                    "description": "must not be empty",
                    "violatedRule": "REQUIRED_FIELD"
                }]}}
            })
        );
    }
}
