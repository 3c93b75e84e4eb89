//! The setup code: until the site has an admin, whoever creates the first one must show the
//! code that `insignia serve` printed at start, so the first visitor to reach
//! `/dashboard/setup` does not own the site. One code per site, kept in the database so that
//! every server of the site accepts it; it dies in the transaction that makes any admin
//! (`admins::insert`).

use diesel::prelude::*;
use subtle::ConstantTimeEq;

use crate::db::DbConnection;
use crate::db::schema::settings;
use crate::error::Error;

const KEY: &str = "setup_code";

/// The site's setup code, made on first use; `None` once the site has an admin.
pub fn code(conn: &mut DbConnection) -> Result<Option<String>, Error> {
    // Counted here, not through `admins`, which retires the code when the first admin is made.
    let admins: i64 = crate::db::schema::admins::table.count().get_result(conn)?;
    if admins > 0 {
        return Ok(None);
    }
    let fresh = crate::tokens::random_token();
    crate::db::on_backend!(conn, |c| diesel::insert_into(settings::table)
        .values((settings::key.eq(KEY), settings::value.eq(&fresh)))
        .on_conflict_do_nothing()
        .execute(c))?;
    Ok(settings::table
        .find(KEY)
        .select(settings::value)
        .first::<String>(conn)
        .optional()?)
}

/// Whether `presented` is the site's setup code (compared in constant time); `None` once the
/// site has an admin, when there is nothing left to set up.
pub fn check(conn: &mut DbConnection, presented: &str) -> Result<Option<bool>, Error> {
    Ok(code(conn)?.map(|code| bool::from(code.as_bytes().ct_eq(presented.trim().as_bytes()))))
}

/// Ends the code; called in the transaction that makes an admin.
pub(super) fn retire(conn: &mut DbConnection) -> Result<(), Error> {
    diesel::delete(settings::table.find(KEY)).execute(conn)?;
    Ok(())
}
