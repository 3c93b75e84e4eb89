//! Secrets handed out once (session cookies, set-password links, API keys, report ids) and
//! the one way they are kept: only a hash is stored, so a copy of the database opens nothing.

use rand::RngCore;
use sha2::{Digest, Sha256};

/// 32 random bytes as hex: a new secret.
pub fn random_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    hex::encode(bytes)
}

/// Whether `text` could be a token [`random_token`] made (64 hex digits): anything else is
/// looked up nowhere, so an address or form field with other text (a NUL among it, which
/// PostgreSQL cannot even be asked about) finds nothing instead of failing.
pub fn is_token(text: &str) -> bool {
    text.len() == 64 && text.bytes().all(|b| b.is_ascii_hexdigit())
}

/// What is stored of a secret: its SHA-256, as hex.
pub fn hash_token(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}
