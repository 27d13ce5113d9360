//! Opaque secrets (refresh tokens, API tokens, complaint access keys): random bytes from the OS,
//! URL-safe base64, and their SHA-256 for storage.

use base64::Engine as _;
use rand::TryRngCore;
use sha2::{Digest, Sha256};

/// The prefix of API tokens.
pub const API_TOKEN_PREFIX: &str = "stdreg_";

/// `bytes` random bytes from the operating system, URL-safe base64 without padding.
pub fn random_token(bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    rand::rngs::OsRng.try_fill_bytes(&mut buf).expect("the operating system's random source works");
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(&buf)
}

/// Hex SHA-256 of a secret, as stored.
pub fn sha256_hex(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

/// Constant-time comparison of two hex digests.
pub fn digest_eq(a: &str, b: &str) -> bool {
    a.len() == b.len() && a.bytes().zip(b.bytes()).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}
