//! What a domain operation can answer besides success. It knows no HTTP: the web crate
//! turns each kind into a status and a page (or the API's error shape) in one place. Internal
//! details are for the log, never for a page.

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The thing asked for does not exist (or is not the caller's to see).
    #[error("not found")]
    NotFound,
    /// Not allowed for this caller or in this state; the text says why.
    #[error("{0}")]
    NotAllowed(String),
    /// The input cannot be used; the text says what is wrong.
    #[error("{0}")]
    Invalid(String),
    /// The input clashes with what is stored (a taken title, a changed order).
    #[error("{0}")]
    Conflict(String),
    /// A hand change named a badge its rule gives (the title); only the rule changes who
    /// holds it.
    #[error("“{0}” is given automatically by its rule; change the rule to change who holds it")]
    Automatic(String),
    /// A budget is spent; the same request may succeed after `retry_after` seconds.
    #[error("{message}")]
    BudgetSpent { message: String, retry_after: u64 },
    /// Something broke that the caller cannot fix: a database failure, a bug.
    #[error("internal error")]
    Internal(String),
}

impl Error {
    pub fn internal(e: impl std::fmt::Display) -> Self {
        Error::Internal(e.to_string())
    }

    /// A refusal because a budget is spent: `what` happened, then when to try again.
    pub fn too_many(what: &str, retry_after: u64) -> Self {
        Error::BudgetSpent {
            message: format!("{what} Please try again in {}.", in_words(retry_after)),
            retry_after,
        }
    }

    /// The whole message, internal details included: for the command line and the log,
    /// never for a page.
    pub fn detail(&self) -> String {
        match self {
            Error::Internal(detail) => detail.clone(),
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

impl From<diesel::result::Error> for Error {
    fn from(e: diesel::result::Error) -> Self {
        match e {
            diesel::result::Error::NotFound => Error::NotFound,
            other => Error::Internal(other.to_string()),
        }
    }
}
