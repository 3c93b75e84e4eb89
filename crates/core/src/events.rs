//! Events for integrations. Every change to badges and assignments writes its events in the
//! same transaction as the change (an outbox): if the change commits they exist, if it rolls
//! back they never did. Webhook deliveries (`insignia_webhooks`) read them afterwards. The
//! modules that make a change write its events: badges (`badges::store`), assignments
//! (`members::assignments`), badge permissions (`pages`).
//!
//! An event's key is its `entityEventSequence`: per badge it grows in commit order, as the
//! writers of one badge take turns (`db::write_locking` locks the badge before anything is
//! written). Writers of different badges commit side by side on PostgreSQL, so there a smaller
//! key can commit after a larger one: readers of the outbox go by [`Position`] instead.

use diesel::prelude::*;

use crate::audit::Actor;
use crate::db::DbConnection;
use crate::db::schema::events;
use crate::error::Error;
use crate::ids::BadgeId;

/// What happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    BadgeCreated,
    BadgeUpdated,
    BadgeDeleted,
    BadgeAssigned,
    BadgeUnassigned,
    /// Sent by hand from the dashboard to one endpoint.
    Test,
}

impl Kind {
    /// The kinds an endpoint can subscribe to.
    pub const SUBSCRIBABLE: [Kind; 5] = [
        Kind::BadgeCreated,
        Kind::BadgeUpdated,
        Kind::BadgeDeleted,
        Kind::BadgeAssigned,
        Kind::BadgeUnassigned,
    ];

    /// The stored name, also the `type` of a Standard Webhooks message.
    pub fn name(self) -> &'static str {
        match self {
            Kind::BadgeCreated => "badge.created",
            Kind::BadgeUpdated => "badge.updated",
            Kind::BadgeDeleted => "badge.deleted",
            Kind::BadgeAssigned => "badge.assigned",
            Kind::BadgeUnassigned => "badge.unassigned",
            Kind::Test => "webhook.test",
        }
    }

    pub fn parse(name: &str) -> Option<Kind> {
        Kind::SUBSCRIBABLE
            .into_iter()
            .chain([Kind::Test])
            .find(|k| k.name() == name)
    }

    /// How the dashboard names it.
    pub fn label(self) -> &'static str {
        match self {
            Kind::BadgeCreated => "Badge created",
            Kind::BadgeUpdated => "Badge updated",
            Kind::BadgeDeleted => "Badge deleted",
            Kind::BadgeAssigned => "Badge given to a member",
            Kind::BadgeUnassigned => "Badge taken from a member",
            Kind::Test => "Test event",
        }
    }
}

/// A badge was created, changed or deleted; `entity` is the badge as the API shows it at that
/// moment (for created and updated events).
pub fn record_badge_change(
    conn: &mut DbConnection,
    actor: &Actor,
    kind: Kind,
    badge_id: &BadgeId,
    entity: Option<String>,
) -> Result<(), Error> {
    diesel::insert_into(events::table)
        .values((
            events::kind.eq(kind.name()),
            events::badge_id.eq(badge_id),
            events::entity.eq(entity),
            events::actor.eq(actor.label()),
            events::actor_kind.eq(actor.kind().as_str()),
            events::occurred_at.eq(crate::clock::now_millis()),
        ))
        .execute(conn)?;
    Ok(())
}

/// A test event for one endpoint only.
pub fn test_for(conn: &mut DbConnection, actor: &Actor, endpoint: i64) -> Result<(), Error> {
    diesel::insert_into(events::table)
        .values((
            events::kind.eq(Kind::Test.name()),
            events::badge_id.eq(""),
            events::actor.eq(actor.label()),
            events::actor_kind.eq(actor.kind().as_str()),
            events::occurred_at.eq(crate::clock::now_millis()),
            events::endpoint_key.eq(endpoint),
        ))
        .execute(conn)?;
    Ok(())
}

/// A stored event.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = events)]
pub struct Event {
    pub key: i64,
    pub kind: String,
    pub badge_id: String,
    pub member_id: Option<String>,
    pub entity: Option<String>,
    pub actor: String,
    pub occurred_at: i64,
    /// `audit::ActorKind::as_str` of who made the change.
    pub actor_kind: String,
}

/// A place in the order events are read from the outbox: by the writing transaction's id,
/// then by key. On SQLite, which has one writer, every `txid` is 0 and keys alone are the
/// commit order. On PostgreSQL an event's `txid` is its transaction's (`pg_current_xact_id`,
/// taken after the transaction's locks): a transaction that begins later gets a larger one.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, QueryableByName)]
pub struct Position {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    pub txid: i64,
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    pub key: i64,
}

/// The last event that can be read for good: no event before it in [`Position`] order can
/// still appear. On SQLite the newest stored event. On PostgreSQL the newest event of the
/// transactions below the oldest one of this database still running, which have all ended:
/// any transaction still to write gets a larger id. (Not `pg_snapshot_xmin`, which counts every
/// database of the cluster: another application's open transaction would hold webhooks back.)
/// `(0, 0)` when there is none. Called outside a transaction.
pub fn readable_upto(conn: &mut DbConnection) -> Result<Position, Error> {
    if conn.backend() == crate::db::BackendKind::Sqlite {
        return newest(conn);
    }
    #[derive(QueryableByName)]
    struct Snapshot {
        #[diesel(sql_type = diesel::sql_types::Text)]
        snapshot: String,
    }
    // First the running transactions, then which of them write here: one that begins in
    // between has an id past the snapshot's end, above any horizon it gives.
    let snapshot: Snapshot =
        diesel::sql_query("SELECT pg_current_snapshot()::text AS snapshot").get_result(conn)?;
    // Every writer here holds a lock in this database (the write lock, a table's) and one on
    // its own transaction id; prepared transactions are listed apart. Ids are matched on
    // their low 32 bits, as `pg_locks` shows them.
    let newest: Vec<Position> = diesel::sql_query(
        "WITH here AS ( \
             SELECT l.transactionid::text::bigint AS xid FROM pg_locks l \
             WHERE l.locktype = 'transactionid' AND l.mode = 'ExclusiveLock' AND l.pid IN ( \
                 SELECT pid FROM pg_locks WHERE database = \
                     (SELECT oid FROM pg_database WHERE datname = current_database())) \
             UNION SELECT transaction::text::bigint FROM pg_prepared_xacts \
             WHERE database = current_database()), \
         horizon AS ( \
             SELECT coalesce(min(x::text::bigint), \
                 pg_snapshot_xmax($1::pg_snapshot)::text::bigint) AS txid \
             FROM pg_snapshot_xip($1::pg_snapshot) x \
             WHERE x::text::bigint % 4294967296 IN (SELECT xid FROM here)) \
         SELECT e.txid, e.key FROM events e, horizon h WHERE e.txid < h.txid \
         ORDER BY e.txid DESC, e.key DESC LIMIT 1",
    )
    .bind::<diesel::sql_types::Text, _>(snapshot.snapshot)
    .load(conn)?;
    Ok(newest.into_iter().next().unwrap_or_default())
}

/// The newest stored event. Where no writer can be under way (inside [`crate::db::write`],
/// which every writer of events waits for), it is where "from now on" starts.
pub fn newest(conn: &mut DbConnection) -> Result<Position, Error> {
    let newest: Vec<Position> = match conn.backend() {
        crate::db::BackendKind::Sqlite => {
            diesel::sql_query("SELECT 0 AS txid, coalesce(max(key), 0) AS key FROM events")
                .load(conn)?
        }
        crate::db::BackendKind::Postgres => {
            diesel::sql_query("SELECT txid, key FROM events ORDER BY txid DESC, key DESC LIMIT 1")
                .load(conn)?
        }
    };
    Ok(newest.into_iter().next().unwrap_or_default())
}
