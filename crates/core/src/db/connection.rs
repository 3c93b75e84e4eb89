//! One connection type for both databases: SQLite (the embedded default) and PostgreSQL
//! (several servers on one database). Domain code takes `&mut DbConnection` and uses diesel's
//! query builder, which both understand; the few statements that differ between the two match
//! on the variant (see [`DbConnection::backend`]).

use diesel::pg::PgConnection;
use diesel::sqlite::SqliteConnection;

#[derive(diesel::MultiConnection)]
pub enum DbConnection {
    Postgres(PgConnection),
    Sqlite(SqliteConnection),
}

/// Which database a connection talks to, for the statements written per backend.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BackendKind {
    Sqlite,
    Postgres,
}

impl DbConnection {
    pub fn backend(&self) -> BackendKind {
        match self {
            DbConnection::Sqlite(_) => BackendKind::Sqlite,
            DbConnection::Postgres(_) => BackendKind::Postgres,
        }
    }

    /// A hand-written statement for this connection's database. Statements are written once,
    /// in SQLite's dialect with `?` or `?N` placeholders; on PostgreSQL they become `$n`, and
    /// SQLite's `CROSS JOIN … ON` (an inner join whose written order the planner keeps) a
    /// plain `JOIN … ON`. Text in quotes is left alone.
    pub fn sql(&self, text: &str) -> String {
        match self.backend() {
            BackendKind::Sqlite => text.to_string(),
            BackendKind::Postgres => to_postgres(text),
        }
    }
}

fn to_postgres(text: &str) -> String {
    let text = text.replace(" CROSS JOIN ", " JOIN ");
    let mut out = String::with_capacity(text.len() + 16);
    let mut chars = text.chars().peekable();
    let (mut quoted, mut next) = (false, 1);
    while let Some(c) = chars.next() {
        match c {
            '\'' => {
                quoted = !quoted;
                out.push(c);
            }
            '?' if !quoted => {
                out.push('$');
                if chars.peek().is_some_and(char::is_ascii_digit) {
                    while let Some(d) = chars.next_if(char::is_ascii_digit) {
                        out.push(d);
                    }
                } else {
                    out.push_str(&next.to_string());
                    next += 1;
                }
            }
            _ => out.push(c),
        }
    }
    out
}

/// Runs the same diesel statement on the inner connection of either backend, type-checked
/// for each: for the few clauses diesel's shared backend does not offer (`ON CONFLICT`,
/// `RETURNING`), which both databases have.
#[macro_export]
macro_rules! on_backend {
    ($conn:expr, |$inner:ident| $body:expr) => {
        match $conn {
            $crate::db::DbConnection::Sqlite($inner) => $body,
            $crate::db::DbConnection::Postgres($inner) => $body,
        }
    };
}
pub use on_backend;

#[cfg(test)]
mod tests {
    use super::to_postgres;

    #[test]
    fn placeholders_are_numbered_and_quoted_text_is_kept() {
        assert_eq!(
            to_postgres("SELECT '?', a FROM t CROSS JOIN u ON u.k = t.k WHERE a = ? AND b < ?"),
            "SELECT '?', a FROM t JOIN u ON u.k = t.k WHERE a = $1 AND b < $2"
        );
        assert_eq!(
            to_postgres("WHERE x = ?1 AND y < ?12 LIMIT ?1"),
            "WHERE x = $1 AND y < $12 LIMIT $1"
        );
    }
}
