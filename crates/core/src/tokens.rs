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

/// What is stored of a secret: its SHA-256, as hex.
pub fn hash_token(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}
