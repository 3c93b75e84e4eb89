//! Public ids: the UUIDs URLs, the JSON API, CSV and audit entries name rows by. Each kind
//! has its own type, so a member's id cannot be passed where a badge's belongs. (Inside the
//! database rows point at each other by integer keys instead: see `db::keys`.)

use std::fmt;

macro_rules! public_id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(String);

        impl $name {
            /// The id as given; an id that names nothing is found to be unknown where it is
            /// looked up.
            pub fn new(id: impl Into<String>) -> Self {
                $name(id.into())
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }

            /// Many ids of this kind from their text.
            pub fn all<S: AsRef<str>>(ids: &[S]) -> Vec<Self> {
                ids.iter().map(|id| $name(id.as_ref().to_string())).collect()
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}

public_id!(
    /// A badge's public id.
    BadgeId
);
public_id!(
    /// A member's public id.
    MemberId
);
