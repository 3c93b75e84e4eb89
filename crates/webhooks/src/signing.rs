//! What a delivery carries, in each format, and how it is signed.
//!
//! - Wix: the body is an RS256 JWT whose `data` claim is a JSON string
//!   `{eventType, instanceId, identity, data}`; `identity` and `data` are JSON strings again,
//!   `data` being the domain event (`id`, `entityFqdn`, `slug`, `entityId`, `eventTime`,
//!   `entityEventSequence` and one of `createdEvent`, `updatedEvent`, `deletedEvent`,
//!   `actionEvent`). This is what `client.webhooks.process()` of `@wix/sdk` verifies with the
//!   site's public key and hands to `badges.onBadgeCreated(…)` and the other handlers.
//! - Standard Webhooks: a JSON body `{type, timestamp, data}` and the headers `webhook-id`,
//!   `webhook-timestamp`, `webhook-signature` (`v1,` + base64 HMAC-SHA256 of
//!   `id.timestamp.body` under the endpoint's `whsec_` secret; several when rotating).

use base64::Engine;
use base64::engine::general_purpose::{STANDARD as BASE64, URL_SAFE_NO_PAD as BASE64URL};
use diesel::prelude::*;
use hmac::{Hmac, Mac};
use openssl::hash::MessageDigest;
use openssl::pkey::{PKey, Private};
use openssl::rsa::Rsa;
use openssl::sign::Signer;
use serde_json::{Value, json};
use sha2::Sha256;

use insignia_core::Error;
use insignia_core::audit::ActorKind;
use insignia_core::db::DbConnection;
use insignia_core::db::schema::settings;
use insignia_core::events::{Event, Kind};

const PRIVATE_KEY: &str = "webhook_private_key";
const PUBLIC_KEY: &str = "webhook_public_key";
const INSTANCE_ID: &str = "webhook_instance_id";

/// The site's signing identity: an RSA key pair (made once, kept in the database) and the
/// instance id receivers see.
#[derive(Clone)]
pub struct SiteKeys {
    pub public_pem: String,
    pub instance_id: String,
    private_pem: String,
}

impl std::fmt::Debug for SiteKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SiteKeys")
            .field("instance_id", &self.instance_id)
            .finish_non_exhaustive()
    }
}

fn setting(conn: &mut DbConnection, name: &str) -> Result<Option<String>, Error> {
    Ok(settings::table
        .filter(settings::key.eq(name))
        .select(settings::value)
        .first(conn)
        .optional()?)
}

/// The site's keys, made on first use. Two servers starting at once agree: the first to
/// store them wins and the other reads what it stored.
pub fn site_keys(conn: &mut DbConnection) -> Result<SiteKeys, Error> {
    if let Some(keys) = stored_keys(conn)? {
        return Ok(keys);
    }
    let (private_pem, public_pem) = generate_pair()?;
    let instance_id = uuid::Uuid::new_v4().to_string();
    insignia_core::db::write(conn, |conn| {
        if stored_keys(conn)?.is_none() {
            for (name, value) in [
                (PRIVATE_KEY, &private_pem),
                (PUBLIC_KEY, &public_pem),
                (INSTANCE_ID, &instance_id),
            ] {
                diesel::delete(settings::table.filter(settings::key.eq(name))).execute(conn)?;
                diesel::insert_into(settings::table)
                    .values((settings::key.eq(name), settings::value.eq(value)))
                    .execute(conn)?;
            }
        }
        Ok::<_, Error>(())
    })?;
    stored_keys(conn)?.ok_or_else(|| Error::internal("webhook keys were not stored"))
}

fn stored_keys(conn: &mut DbConnection) -> Result<Option<SiteKeys>, Error> {
    let (Some(private_pem), Some(public_pem), Some(instance_id)) = (
        setting(conn, PRIVATE_KEY)?,
        setting(conn, PUBLIC_KEY)?,
        setting(conn, INSTANCE_ID)?,
    ) else {
        return Ok(None);
    };
    Ok(Some(SiteKeys {
        public_pem,
        instance_id,
        private_pem,
    }))
}

/// A 2048-bit RSA key pair as PEM: PKCS#8 private, SPKI public (`-----BEGIN PUBLIC KEY-----`,
/// what `AppStrategy({ publicKey })` takes).
fn generate_pair() -> Result<(String, String), Error> {
    let key =
        PKey::from_rsa(Rsa::generate(2048).map_err(Error::internal)?).map_err(Error::internal)?;
    let pem = |bytes: Result<Vec<u8>, openssl::error::ErrorStack>| {
        String::from_utf8(bytes.map_err(Error::internal)?).map_err(Error::internal)
    };
    Ok((
        pem(key.private_key_to_pem_pkcs8())?,
        pem(key.public_key_to_pem())?,
    ))
}

/// Signs Wix-format bodies with the site's private key.
pub struct WixSigner {
    key: PKey<Private>,
    instance_id: String,
    namespace: uuid::Uuid,
}

impl WixSigner {
    pub fn new(keys: &SiteKeys) -> Result<WixSigner, Error> {
        Ok(WixSigner {
            key: PKey::private_key_from_pem(keys.private_pem.as_bytes())
                .map_err(Error::internal)?,
            namespace: event_namespace(&keys.instance_id),
            instance_id: keys.instance_id.clone(),
        })
    }

    /// The JWT body for an event.
    pub fn body(&self, event: &Event) -> Result<String, Error> {
        let (event_type, slug, body) = match Kind::parse(&event.kind) {
            Some(Kind::BadgeCreated) => (
                "wix.badges.v3.badge_created",
                "created",
                json!({ "createdEvent": { "entity": entity(event) } }),
            ),
            Some(Kind::BadgeUpdated) => (
                "wix.badges.v3.badge_updated",
                "updated",
                json!({ "updatedEvent": { "currentEntity": entity(event) } }),
            ),
            Some(Kind::BadgeDeleted) => (
                "wix.badges.v3.badge_deleted",
                "deleted",
                json!({ "deletedEvent": {} }),
            ),
            Some(Kind::BadgeAssigned) => (
                "wix.badges.v3.badge_badge_assigned",
                "badge_assigned",
                json!({ "actionEvent": { "body": { "memberId": event.member_id } } }),
            ),
            Some(Kind::BadgeUnassigned) => (
                "wix.badges.v3.badge_badge_unassigned",
                "badge_unassigned",
                json!({ "actionEvent": { "body": { "memberId": event.member_id } } }),
            ),
            Some(Kind::Test) | None => (
                "insignia.webhooks.test",
                "test",
                json!({ "actionEvent": { "body": { "message": TEST_MESSAGE } } }),
            ),
        };
        let mut domain_event = json!({
            "id": event_id(&self.namespace, event.key),
            "entityFqdn": "wix.badges.v3.badge",
            "slug": slug,
            "entityId": event.badge_id,
            "eventTime": insignia_core::clock::format_millis(event.occurred_at),
            "entityEventSequence": event.key.to_string(),
        });
        if let (Value::Object(all), Value::Object(more)) = (&mut domain_event, body) {
            all.extend(more);
        }
        let envelope = json!({
            "eventType": event_type,
            "instanceId": self.instance_id,
            "identity": identity(ActorKind::parse(&event.actor_kind)).to_string(),
            "data": domain_event.to_string(),
        });
        let now = time::OffsetDateTime::now_utc().unix_timestamp();
        let claims = json!({ "data": envelope.to_string(), "iat": now, "exp": now + 3600 });
        self.jwt(&claims)
    }

    /// A compact JWS (RFC 7515) signed with RS256: `header.claims.signature`, base64url.
    fn jwt(&self, claims: &Value) -> Result<String, Error> {
        let header = BASE64URL.encode(r#"{"alg":"RS256","typ":"JWT"}"#);
        let input = format!("{header}.{}", BASE64URL.encode(claims.to_string()));
        let mut signer =
            Signer::new(MessageDigest::sha256(), &self.key).map_err(Error::internal)?;
        signer.update(input.as_bytes()).map_err(Error::internal)?;
        let signature = signer.sign_to_vec().map_err(Error::internal)?;
        Ok(format!("{input}.{}", BASE64URL.encode(signature)))
    }
}

const TEST_MESSAGE: &str = "A test event from Insignia's dashboard.";

fn entity(event: &Event) -> Value {
    event
        .entity
        .as_deref()
        .and_then(|text| serde_json::from_str(text).ok())
        .unwrap_or(Value::Null)
}

/// Who made the change, as Wix names kinds of caller (the audit log keeps who exactly).
fn identity(actor: ActorKind) -> Value {
    let kind = match actor {
        ActorKind::Admin => "WIX_USER",
        ActorKind::Member => "MEMBER",
        ActorKind::ApiKey => "APP",
        ActorKind::System => "UNKNOWN",
    };
    json!({ "identityType": kind })
}

/// Event ids are stable (the same on every retry, so receivers can drop duplicates) and
/// unique per site: a name-based UUID of the event key under the site's instance id.
fn event_namespace(instance_id: &str) -> uuid::Uuid {
    uuid::Uuid::parse_str(instance_id).unwrap_or(uuid::Uuid::NAMESPACE_URL)
}

fn event_id(namespace: &uuid::Uuid, key: i64) -> String {
    uuid::Uuid::new_v5(namespace, &key.to_be_bytes()).to_string()
}

/// A Standard Webhooks message: its id, body and signature headers.
pub struct StandardMessage {
    pub id: String,
    pub timestamp: i64,
    pub body: String,
    pub signature: String,
}

/// The Standard Webhooks body and headers for an event, signed with every given secret.
pub fn standard_message(
    instance_id: &str,
    event: &Event,
    secrets: &[&str],
) -> Result<StandardMessage, Error> {
    let data = match Kind::parse(&event.kind) {
        Some(Kind::BadgeCreated | Kind::BadgeUpdated) => entity(event),
        Some(Kind::BadgeDeleted) => json!({ "id": event.badge_id }),
        Some(Kind::BadgeAssigned | Kind::BadgeUnassigned) => {
            json!({ "badgeId": event.badge_id, "memberId": event.member_id })
        }
        Some(Kind::Test) | None => json!({ "message": TEST_MESSAGE }),
    };
    let body = json!({
        "type": event.kind,
        "timestamp": insignia_core::clock::format_millis(event.occurred_at),
        "data": data,
    })
    .to_string();
    let id = format!(
        "msg_{}",
        event_id(&event_namespace(instance_id), event.key).replace('-', "")
    );
    let timestamp = time::OffsetDateTime::now_utc().unix_timestamp();
    let mut signatures = Vec::new();
    for secret in secrets {
        signatures.push(format!(
            "v1,{}",
            sign_standard(secret, &id, timestamp, &body)?
        ));
    }
    Ok(StandardMessage {
        id,
        timestamp,
        body,
        signature: signatures.join(" "),
    })
}

/// base64 HMAC-SHA256 of `id.timestamp.body`, keyed with the secret's bytes (the base64 after
/// `whsec_`).
fn sign_standard(secret: &str, id: &str, timestamp: i64, body: &str) -> Result<String, Error> {
    let key = BASE64
        .decode(secret.trim_start_matches("whsec_"))
        .map_err(Error::internal)?;
    let mut mac = Hmac::<Sha256>::new_from_slice(&key).map_err(Error::internal)?;
    mac.update(format!("{id}.{timestamp}.{body}").as_bytes());
    Ok(BASE64.encode(mac.finalize().into_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wix_bodies_are_rs256_tokens_the_public_key_verifies() {
        let (private_pem, public_pem) = generate_pair().unwrap();
        let keys = SiteKeys {
            public_pem: public_pem.clone(),
            instance_id: uuid::Uuid::new_v4().to_string(),
            private_pem,
        };
        let event = Event {
            key: 7,
            kind: "badge.assigned".to_string(),
            badge_id: "b".to_string(),
            member_id: Some("m".to_string()),
            entity: None,
            actor: "admin a@example.com".to_string(),
            occurred_at: 0,
            actor_kind: "admin".to_string(),
        };
        let token = WixSigner::new(&keys).unwrap().body(&event).unwrap();
        let parts: Vec<&str> = token.split('.').collect();
        assert_eq!(parts.len(), 3);
        let public = PKey::public_key_from_pem(public_pem.as_bytes()).unwrap();
        let mut verifier = openssl::sign::Verifier::new(MessageDigest::sha256(), &public).unwrap();
        verifier
            .update(format!("{}.{}", parts[0], parts[1]).as_bytes())
            .unwrap();
        assert!(
            verifier
                .verify(&BASE64URL.decode(parts[2]).unwrap())
                .unwrap()
        );
        let claims: Value = serde_json::from_slice(&BASE64URL.decode(parts[1]).unwrap()).unwrap();
        let envelope: Value = serde_json::from_str(claims["data"].as_str().unwrap()).unwrap();
        assert_eq!(envelope["eventType"], "wix.badges.v3.badge_badge_assigned");
        let domain: Value = serde_json::from_str(envelope["data"].as_str().unwrap()).unwrap();
        assert_eq!(domain["actionEvent"]["body"]["memberId"], "m");
        assert_eq!(domain["entityEventSequence"], "7");
    }

    /// The example of the Standard Webhooks specification's reference libraries.
    #[test]
    fn standard_signature_matches_the_specification_example() {
        let signature = sign_standard(
            "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
            "msg_p5jXN8AQM9LWM0D4loKWxJek",
            1614265330,
            r#"{"test": 2432232314}"#,
        )
        .unwrap();
        assert_eq!(signature, "g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
    }
}
