//! One-use form tokens. A form whose answer cannot be shown twice (a new API key with its
//! secret, a new webhook endpoint, a new signing secret) carries a token made when the form is
//! drawn; the action spends it in its own transaction. Sent again (a reload re-posts the same
//! form), the token is spent already and nothing happens twice. Only the token's SHA-256 is
//! kept, for a day.

use diesel::prelude::*;

use crate::clock::Timestamp;
use crate::db::DbConnection;
use crate::db::schema::form_uses;
use crate::error::Error;
use crate::tokens::hash_token as hash;

/// How long a spent token is remembered: a reload a day later is a new request.
const KEPT: time::Duration = time::Duration::days(1);

/// A token for a form being drawn.
pub fn token() -> String {
    crate::tokens::random_token()
}

/// Runs `act` in one write transaction with spending `token`, or not at all when the token was
/// spent before (`Ok(None)`: the form was sent again). Without a token (a client that does not
/// send the form's hidden field), `act` runs as before.
pub fn act<T, E>(
    conn: &mut DbConnection,
    token: Option<&str>,
    act: impl FnOnce(&mut DbConnection) -> Result<T, E>,
) -> Result<Option<T>, E>
where
    E: From<diesel::result::Error> + From<Error>,
{
    crate::db::write(conn, |conn| {
        if let Some(token) = token.filter(|t| !t.is_empty()) {
            let now = Timestamp::now();
            if rand::random_ratio(1, 100) {
                diesel::delete(form_uses::table.filter(form_uses::used_at.lt(now - KEPT)))
                    .execute(conn)?;
            }
            let first = crate::db::on_backend!(conn, |c| diesel::insert_into(form_uses::table)
                .values((
                    form_uses::token_hash.eq(hash(token)),
                    form_uses::used_at.eq(now)
                ))
                .on_conflict_do_nothing()
                .execute(c))?;
            if first == 0 {
                return Ok(None);
            }
        }
        act(conn).map(Some)
    })
}
