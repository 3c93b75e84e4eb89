//! The web's error: what a handler answers besides success. Domain errors
//! (`insignia_core::Error`) become one of these in one place (`From` below); the web layer
//! turns each into a status and an error page (`web::error_pages`) or the API's error shape
//! (`web::api::error`). Internal details are logged, never shown.

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("not found")]
    NotFound,
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}")]
    BadRequest(String),
    #[error("{0}")]
    Conflict(String),
    /// A budget is spent; the same request may succeed after `retry_after` seconds.
    #[error("{message}")]
    TooManyRequests { message: String, retry_after: u64 },
    #[error("{0}")]
    PayloadTooLarge(String),
    #[error("sign in required")]
    NeedsSignIn { next: String },
    #[error("member sign in required")]
    NeedsMemberSignIn { next: String },
    #[error("elevation required")]
    NeedsElevation { next: String },
    #[error("internal error")]
    Internal(String),
}

impl AppError {
    pub fn internal(e: impl std::fmt::Display) -> Self {
        AppError::Internal(e.to_string())
    }

    /// The whole message, internal details included: for the command line and the log,
    /// never for a page.
    pub fn detail(&self) -> String {
        match self {
            AppError::Internal(detail) => detail.clone(),
            other => other.to_string(),
        }
    }
}

impl From<diesel::result::Error> for AppError {
    fn from(e: diesel::result::Error) -> Self {
        match e {
            diesel::result::Error::NotFound => AppError::NotFound,
            other => AppError::Internal(other.to_string()),
        }
    }
}

impl From<insignia_core::Error> for AppError {
    fn from(e: insignia_core::Error) -> Self {
        use insignia_core::Error;
        match e {
            Error::NotFound => AppError::NotFound,
            Error::NotAllowed(m) => AppError::Forbidden(m),
            Error::Invalid(m) => AppError::BadRequest(m),
            Error::Conflict(m) => AppError::Conflict(m),
            automatic @ Error::Automatic(_) => AppError::Conflict(automatic.to_string()),
            Error::BudgetSpent {
                message,
                retry_after,
            } => AppError::TooManyRequests {
                message,
                retry_after,
            },
            Error::Internal(detail) => AppError::Internal(detail),
        }
    }
}

/// Each domain module's error becomes the web's through the core's one `Error`.
macro_rules! via_core_error {
    ($($domain:ty),*) => {$(
        impl From<$domain> for AppError {
            fn from(e: $domain) -> Self {
                AppError::from(insignia_core::Error::from(e))
            }
        }
    )*};
}
via_core_error!(
    insignia_core::badges::BadgeError,
    insignia_core::members::MemberError,
    insignia_core::pages::PageError,
    insignia_core::members::assignments::AssignError,
    insignia_core::rules::RuleError
);
