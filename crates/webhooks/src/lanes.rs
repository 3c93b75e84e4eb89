//! The delivery lanes of an endpoint and the states of a delivery: what endpoint management
//! and the worker both write.

use diesel::prelude::*;

use insignia_core::Error;
use insignia_core::db::DbConnection;
use insignia_core::db::schema::{webhook_endpoints, webhook_lanes};

/// Delivery states.
pub const WAITING: i32 = 0;
pub const DELIVERED: i32 = 1;
pub const GAVE_UP: i32 = 2;

/// Opens a lane (or leaves an open one as it is), due at `at`.
pub fn open_lane(conn: &mut DbConnection, endpoint: i64, lane: &str, at: i64) -> Result<(), Error> {
    insignia_core::db::on_backend!(conn, |c| diesel::insert_into(webhook_lanes::table)
        .values((
            webhook_lanes::endpoint_key.eq(endpoint),
            webhook_lanes::lane.eq(lane),
            webhook_lanes::next_attempt_at.eq(at),
            webhook_lanes::lease_until.eq(0),
        ))
        .on_conflict((webhook_lanes::endpoint_key, webhook_lanes::lane))
        .do_update()
        .set(webhook_lanes::next_attempt_at.eq(at))
        .execute(c))?;
    Ok(())
}

/// Ends an endpoint's pause now (an admin sends it something by hand): one lane tries it at
/// once, and the rest follow if it answers.
pub fn try_now(conn: &mut DbConnection, endpoint: i64) -> Result<(), Error> {
    diesel::update(
        webhook_endpoints::table
            .filter(webhook_endpoints::key.eq(endpoint))
            .filter(webhook_endpoints::paused_until.gt(0)),
    )
    .set(webhook_endpoints::paused_until.eq(0))
    .execute(conn)?;
    Ok(())
}
