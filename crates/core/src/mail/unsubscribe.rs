//! Badge mail on and off, and the one-click unsubscribe link every badge mail carries (RFC
//! 8058). The link names the member and is signed (HMAC-SHA256 with a secret made once per
//! site and kept in `settings`), so it works without a session or a CSRF token and cannot be
//! made for anyone else; it only ever turns badge mail off.

use diesel::prelude::*;
use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::audit::{self, Actor, Change};
use crate::db::DbConnection;
use crate::db::schema::{members, settings};
use crate::error::Error;
use crate::ids::MemberId;

const SECRET: &str = "unsubscribe_key";

/// The site's signing secret, made on first use (every server then reads the same one).
fn secret(conn: &mut DbConnection) -> Result<String, Error> {
    let kept: Option<String> = settings::table
        .find(SECRET)
        .select(settings::value)
        .first(conn)
        .optional()?;
    if let Some(secret) = kept {
        return Ok(secret);
    }
    let made = crate::tokens::random_token();
    crate::db::on_backend!(conn, |c| diesel::insert_into(settings::table)
        .values((settings::key.eq(SECRET), settings::value.eq(&made)))
        .on_conflict_do_nothing()
        .execute(c))?;
    Ok(settings::table
        .find(SECRET)
        .select(settings::value)
        .first(conn)?)
}

fn signer(secret: &str, member: &str) -> Result<Hmac<Sha256>, Error> {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).map_err(Error::internal)?;
    mac.update(b"unsubscribe:");
    mac.update(member.as_bytes());
    Ok(mac)
}

/// The token of a member's unsubscribe link: their id and its signature.
pub fn token(conn: &mut DbConnection, member: &MemberId) -> Result<String, Error> {
    let secret = secret(conn)?;
    let signature = signer(&secret, member.as_str())?.finalize().into_bytes();
    Ok(format!("{member}.{}", hex::encode(signature)))
}

/// The member a token is for, when its signature is right (compared in constant time).
pub fn member_for(conn: &mut DbConnection, token: &str) -> Result<Option<MemberId>, Error> {
    let Some((member, signature)) = token.rsplit_once('.') else {
        return Ok(None);
    };
    let Ok(signature) = hex::decode(signature) else {
        return Ok(None);
    };
    let secret = secret(conn)?;
    if signer(&secret, member)?.verify_slice(&signature).is_err() {
        return Ok(None);
    }
    let id = MemberId::from(member);
    let exists: i64 = members::table.find(&id).count().get_result(conn)?;
    Ok((exists == 1).then_some(id))
}

/// Whether a member gets badge mail.
pub fn takes_badge_mail(conn: &mut DbConnection, member: &MemberId) -> Result<bool, Error> {
    Ok(members::table
        .find(member)
        .select(members::badge_mail)
        .first(conn)?)
}

/// Turns a member's badge mail on or off (by their link, or on `/me`); audited when it changes.
pub fn set_badge_mail(
    conn: &mut DbConnection,
    member: &MemberId,
    on: bool,
    how: &str,
) -> Result<(), Error> {
    crate::db::write(conn, |conn| {
        let found = crate::members::find(conn, member)?;
        let changed = diesel::update(
            members::table
                .find(member)
                .filter(members::badge_mail.ne(on)),
        )
        .set(members::badge_mail.eq(on))
        .execute(conn)?;
        if changed == 1 {
            audit::record(
                conn,
                &Actor::member(&found.email),
                Change {
                    action: if on {
                        "member.badge_mail_on"
                    } else {
                        "member.badge_mail_off"
                    },
                    member_id: Some(member),
                    target: &found.name,
                    details: how.to_string(),
                    ..Default::default()
                },
            )?;
        }
        Ok(())
    })
}
