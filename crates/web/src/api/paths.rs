//! Which paths are the API's.

/// Where the API lives.
pub const BASE: &str = "/members/v3";

/// Whether `path` is the API's: it answers for itself (authentication, CSRF for sessions,
/// wrong methods and paths) in its own error shape.
pub fn serves(path: &str) -> bool {
    path.strip_prefix(BASE)
        .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
}
