//! Cryptography: access tokens ([`jwt`]), passwords ([`password`], argon2id), opaque secrets and
//! their digests ([`secrets`]), and, here, sealing of confidential values.
//!
//! Sealing confidential values (complainant name, phone, email; 市场监督管理投诉举报处理暂行办法
//! Art 33) with AES-256-GCM under the configured complaint keys. Each value gets its own random
//! 96-bit nonce; the associated data binds a ciphertext to its record and field, so ciphertexts
//! cannot be swapped between rows or columns. New values use the newest key; older key ids still
//! open as long as they stay configured.

pub mod jwt;
pub mod password;
pub mod secrets;

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Key, Nonce};
use rand::TryRngCore;

use crate::config::ComplaintKeys;

/// A sealed value: ciphertext (with the GCM tag) and its nonce.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Sealed {
    pub ciphertext: Vec<u8>,
    pub nonce: Vec<u8>,
}

/// Why a value could not be opened (a missing key id, or tampered data).
#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    #[error("complaint key id {0:?} is no longer configured")]
    UnknownKey(String),
    #[error("sealed value failed authentication (wrong key, record or field, or tampered)")]
    Tampered,
    #[error("sealed value is not UTF-8")]
    NotText,
}

fn cipher(key: &[u8; 32]) -> Aes256Gcm {
    Aes256Gcm::new(Key::<Aes256Gcm>::from_slice(key))
}

/// Seals `plaintext` with the newest key; returns the key id used and the sealed value.
pub fn seal<'k>(keys: &'k ComplaintKeys, aad: &str, plaintext: &str) -> (&'k str, Sealed) {
    let (id, key) = keys.current();
    let mut nonce = [0u8; 12];
    rand::rngs::OsRng.try_fill_bytes(&mut nonce).expect("the operating system's random source works");
    let ciphertext = cipher(key)
        .encrypt(Nonce::from_slice(&nonce), Payload { msg: plaintext.as_bytes(), aad: aad.as_bytes() })
        .expect("AES-GCM encryption of a short value cannot fail");
    (id, Sealed { ciphertext, nonce: nonce.to_vec() })
}

/// Opens a value sealed under `key_id` with the same associated data.
pub fn open(keys: &ComplaintKeys, key_id: &str, aad: &str, sealed: &Sealed) -> Result<String, OpenError> {
    let key = keys.get(key_id).ok_or_else(|| OpenError::UnknownKey(key_id.to_string()))?;
    if sealed.nonce.len() != 12 {
        return Err(OpenError::Tampered);
    }
    let plain = cipher(key)
        .decrypt(Nonce::from_slice(&sealed.nonce), Payload { msg: &sealed.ciphertext, aad: aad.as_bytes() })
        .map_err(|_| OpenError::Tampered)?;
    String::from_utf8(plain).map_err(|_| OpenError::NotText)
}

#[cfg(test)]
mod tests {
    use super::*;

    const OLD: &str = "old:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=";
    const NEW: &str = "new:AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE=";

    #[test]
    fn round_trip_with_fresh_nonces_and_no_plaintext() {
        let keys = ComplaintKeys::parse(OLD).expect("keys");
        let (id, a) = seal(&keys, "c1/phone", "13800138000");
        let (_, b) = seal(&keys, "c1/phone", "13800138000");
        assert_eq!(id, "old");
        assert_ne!(a.nonce, b.nonce);
        assert_ne!(a.ciphertext, b.ciphertext);
        assert!(!a.ciphertext.windows(11).any(|w| w == b"13800138000"));
        assert_eq!(open(&keys, "old", "c1/phone", &a).expect("opens"), "13800138000");
    }

    #[test]
    fn rotation_keeps_old_values_readable_and_writes_with_the_newest() {
        let old = ComplaintKeys::parse(OLD).expect("keys");
        let (_, sealed) = seal(&old, "c1/name", "王小明");
        let rotated = ComplaintKeys::parse(&format!("{OLD},{NEW}")).expect("keys");
        assert_eq!(open(&rotated, "old", "c1/name", &sealed).expect("old key opens"), "王小明");
        let (id, fresh) = seal(&rotated, "c1/name", "王小明");
        assert_eq!(id, "new");
        assert_eq!(open(&rotated, "new", "c1/name", &fresh).expect("new key opens"), "王小明");
        let only_new = ComplaintKeys::parse(NEW).expect("keys");
        assert!(matches!(open(&only_new, "old", "c1/name", &sealed), Err(OpenError::UnknownKey(_))));
    }

    #[test]
    fn another_record_field_or_key_does_not_open() {
        let keys = ComplaintKeys::parse(&format!("{OLD},{NEW}")).expect("keys");
        let (_, sealed) = seal(&keys, "c1/email", "a@example.cn");
        assert!(matches!(open(&keys, "new", "c2/email", &sealed), Err(OpenError::Tampered)));
        assert!(matches!(open(&keys, "new", "c1/phone", &sealed), Err(OpenError::Tampered)));
        assert!(matches!(open(&keys, "old", "c1/email", &sealed), Err(OpenError::Tampered)));
        let mut flipped = sealed.clone();
        flipped.ciphertext[0] ^= 1;
        assert!(matches!(open(&keys, "new", "c1/email", &flipped), Err(OpenError::Tampered)));
    }
}
