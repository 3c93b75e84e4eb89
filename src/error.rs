//! One error type for the whole application. Domain code returns it (or field errors);
//! the web layer turns it into a status and an error page (`web::error_pages`). Internal
//! details are logged, never shown.

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

    /// A refusal because a budget is spent: `what` happened, then when to try again.
    pub fn too_many(what: &str, retry_after: u64) -> Self {
        AppError::TooManyRequests {
            message: format!("{what} Please try again in {}.", in_words(retry_after)),
            retry_after,
        }
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

/// "40 seconds", "1 minute", "6 minutes" (rounded up).
fn in_words(seconds: u64) -> String {
    let plural = |n: u64, unit: &str| format!("{n} {unit}{}", if n == 1 { "" } else { "s" });
    if seconds < 60 {
        plural(seconds.max(1), "second")
    } else {
        plural(seconds.div_ceil(60), "minute")
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
