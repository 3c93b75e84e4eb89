//! Which paths are the API's.

/// Where the API lives: the Wix operations.
pub const BASE: &str = "/members/v3";

/// Insignia's own operations (badges valid for a time, later rules), beside the Wix ones: the
/// same callers, checks and error shape, in the same OpenAPI document.
pub const EXTENSION: &str = "/insignia/v1";

/// Whether `path` is the API's: it answers for itself (authentication, CSRF for sessions,
/// wrong methods and paths) in its own error shape.
pub fn serves(path: &str) -> bool {
    [BASE, EXTENSION].iter().any(|base| {
        path.strip_prefix(base)
            .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
    })
}
