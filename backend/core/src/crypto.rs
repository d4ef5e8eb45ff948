//! Encryption of short secrets kept at rest (the Microsoft tokens of a user, the PKCE verifier
//! of a sign-in in progress): AES-256-GCM with a random 96-bit nonce.
//!
//! A stored value describes itself: `v1:<kid>:<base64url(nonce || ciphertext)>`, where `kid`
//! names the key (the first 8 hex digits of the SHA-256 of the key, so no key id needs to be
//! configured). A [`KeyRing`] encrypts with its current key and decrypts with any of its keys,
//! so a key is rotated by making the old one an "old key" and a new one current.
//!
//! Every value is bound to its [`Purpose`] (the column it lives in) as associated data: a
//! ciphertext copied into another column does not decrypt.

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Key, Nonce};
use base64::Engine;
use sha2::Digest;

/// The length of a key, in bytes.
pub const KEY_BYTES: usize = 32;
const NONCE_BYTES: usize = 12;
const VERSION: &str = "v1";
const BASE64: base64::engine::GeneralPurpose = base64::engine::general_purpose::URL_SAFE_NO_PAD;

/// What a secret is for; the associated data of its ciphertext.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Purpose(&'static str);

impl Purpose {
    /// `users.access_token`: the user's Microsoft access token.
    pub const USER_ACCESS_TOKEN: Purpose = Purpose("users.access_token");
    /// `users.refresh_token`: the user's Microsoft refresh token.
    pub const USER_REFRESH_TOKEN: Purpose = Purpose("users.refresh_token");
    /// The PKCE code verifier of a Microsoft sign-in in progress.
    pub const PKCE_VERIFIER: Purpose = Purpose("microsoft_logins.pkce_verifier");

    pub fn as_str(self) -> &'static str {
        self.0
    }
}

/// Why a key could not be loaded or a stored value could not be decrypted. The messages never
/// contain key material or plaintext.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CryptoError {
    #[error("an encryption key must be base64 of exactly 32 bytes (`openssl rand -base64 32`)")]
    InvalidKey,
    #[error("the stored value is not an encrypted value of a known format")]
    Malformed,
    #[error("the stored value was encrypted with key {0}, which is not configured (add it to DRIFT_ENCRYPTION_OLD_KEYS)")]
    UnknownKey(String),
    #[error("the stored value was altered, or belongs to another column")]
    Tampered,
}

/// One AES-256 key and its id.
struct RingKey {
    id: String,
    cipher: Aes256Gcm,
}

impl RingKey {
    fn new(bytes: &[u8; KEY_BYTES]) -> Self {
        Self {
            id: key_id(bytes),
            cipher: Aes256Gcm::new(Key::<Aes256Gcm>::from_slice(bytes)),
        }
    }
}

/// The key id: the first 8 hex digits of the SHA-256 of the key.
pub fn key_id(key: &[u8; KEY_BYTES]) -> String {
    sha2::Sha256::digest(key)
        .iter()
        .take(4)
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Decodes a key from base64 (standard or URL-safe alphabet, padded or not).
pub fn decode_key(text: &str) -> Result<[u8; KEY_BYTES], CryptoError> {
    use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD};
    let text = text.trim();
    [STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD]
        .iter()
        .find_map(|engine| engine.decode(text).ok())
        .and_then(|bytes| <[u8; KEY_BYTES]>::try_from(bytes.as_slice()).ok())
        .ok_or(CryptoError::InvalidKey)
}

/// Encodes a key as standard base64, the form [`decode_key`] reads.
pub fn encode_key(key: &[u8; KEY_BYTES]) -> String {
    base64::engine::general_purpose::STANDARD.encode(key)
}

/// A new random key.
pub fn generate_key() -> [u8; KEY_BYTES] {
    use rand::RngCore;
    let mut key = [0u8; KEY_BYTES];
    rand::rngs::OsRng.fill_bytes(&mut key);
    key
}

/// The current key, which encrypts, and older keys that still decrypt.
pub struct KeyRing {
    current: RingKey,
    old: Vec<RingKey>,
}

impl KeyRing {
    /// A ring of `current` and the `old` keys still accepted for decryption.
    pub fn new(current: &[u8; KEY_BYTES], old: &[[u8; KEY_BYTES]]) -> Self {
        let current = RingKey::new(current);
        let mut keys: Vec<RingKey> = Vec::with_capacity(old.len());
        for key in old.iter().map(RingKey::new) {
            if key.id != current.id && keys.iter().all(|k| k.id != key.id) {
                keys.push(key);
            }
        }
        Self { current, old: keys }
    }

    /// A ring with one random key, valid for this process only (tests).
    pub fn generate() -> Self {
        Self::new(&generate_key(), &[])
    }

    /// The id of the key new values are encrypted with.
    pub fn current_key_id(&self) -> &str {
        &self.current.id
    }

    /// Encrypts `plaintext` for `purpose` with the current key and a random nonce.
    pub fn encrypt(&self, purpose: Purpose, plaintext: &str) -> String {
        use rand::RngCore;
        let mut nonce = [0u8; NONCE_BYTES];
        rand::rngs::OsRng.fill_bytes(&mut nonce);
        let ciphertext = self
            .current
            .cipher
            .encrypt(
                Nonce::from_slice(&nonce),
                Payload {
                    msg: plaintext.as_bytes(),
                    aad: purpose.as_str().as_bytes(),
                },
            )
            .expect("AES-GCM encrypts any message shorter than 64 GiB");
        let mut sealed = Vec::with_capacity(NONCE_BYTES + ciphertext.len());
        sealed.extend_from_slice(&nonce);
        sealed.extend_from_slice(&ciphertext);
        format!("{VERSION}:{}:{}", self.current.id, BASE64.encode(sealed))
    }

    /// Decrypts a value [`KeyRing::encrypt`] produced for the same `purpose`, with whichever of
    /// the ring's keys it names.
    pub fn decrypt(&self, purpose: Purpose, stored: &str) -> Result<String, CryptoError> {
        let mut parts = stored.splitn(3, ':');
        let (Some(VERSION), Some(kid), Some(body)) = (parts.next(), parts.next(), parts.next())
        else {
            return Err(CryptoError::Malformed);
        };
        let sealed = BASE64.decode(body).map_err(|_| CryptoError::Malformed)?;
        if sealed.len() < NONCE_BYTES + 16 {
            return Err(CryptoError::Malformed);
        }
        let key = std::iter::once(&self.current)
            .chain(&self.old)
            .find(|k| k.id == kid)
            .ok_or_else(|| {
                // A key id is 8 hex digits; anything else is not worth repeating.
                if kid.len() == 8 && kid.bytes().all(|b| b.is_ascii_hexdigit()) {
                    CryptoError::UnknownKey(kid.to_owned())
                } else {
                    CryptoError::Malformed
                }
            })?;
        let (nonce, ciphertext) = sealed.split_at(NONCE_BYTES);
        let plaintext = key
            .cipher
            .decrypt(
                Nonce::from_slice(nonce),
                Payload {
                    msg: ciphertext,
                    aad: purpose.as_str().as_bytes(),
                },
            )
            .map_err(|_| CryptoError::Tampered)?;
        String::from_utf8(plaintext).map_err(|_| CryptoError::Tampered)
    }
}

impl std::fmt::Debug for KeyRing {
    /// Key ids only: the key bytes never appear in logs.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeyRing")
            .field("current", &self.current.id)
            .field(
                "old",
                &self.old.iter().map(|k| k.id.as_str()).collect::<Vec<_>>(),
            )
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const KEY_A: [u8; 32] = [7u8; 32];
    const KEY_B: [u8; 32] = [9u8; 32];

    #[test]
    fn values_describe_their_version_and_key() {
        let ring = KeyRing::new(&KEY_A, &[]);
        let stored = ring.encrypt(Purpose::USER_ACCESS_TOKEN, "eyJ0eXAi.secret");
        let parts: Vec<&str> = stored.split(':').collect();
        assert_eq!(parts.len(), 3);
        assert_eq!(parts[0], "v1");
        assert_eq!(parts[1], key_id(&KEY_A));
        assert_eq!(parts[1].len(), 8);
        assert!(!stored.contains("secret"));
        assert_eq!(
            ring.decrypt(Purpose::USER_ACCESS_TOKEN, &stored).unwrap(),
            "eyJ0eXAi.secret"
        );
    }

    #[test]
    fn the_same_plaintext_encrypts_differently_each_time() {
        let ring = KeyRing::new(&KEY_A, &[]);
        let a = ring.encrypt(Purpose::USER_ACCESS_TOKEN, "token");
        let b = ring.encrypt(Purpose::USER_ACCESS_TOKEN, "token");
        assert_ne!(a, b);
    }

    #[test]
    fn a_value_does_not_decrypt_for_another_purpose() {
        let ring = KeyRing::new(&KEY_A, &[]);
        let stored = ring.encrypt(Purpose::USER_ACCESS_TOKEN, "token");
        assert_eq!(
            ring.decrypt(Purpose::USER_REFRESH_TOKEN, &stored),
            Err(CryptoError::Tampered)
        );
    }

    #[test]
    fn unknown_keys_and_malformed_values_are_told_apart() {
        let old = KeyRing::new(&KEY_A, &[]);
        let stored = old.encrypt(Purpose::USER_ACCESS_TOKEN, "token");
        let other = KeyRing::new(&KEY_B, &[]);
        let err = other
            .decrypt(Purpose::USER_ACCESS_TOKEN, &stored)
            .unwrap_err();
        assert_eq!(err, CryptoError::UnknownKey(key_id(&KEY_A)));
        assert!(err.to_string().contains("DRIFT_ENCRYPTION_OLD_KEYS"));
        for bad in [
            "",
            "plain text token",
            "v2:abcdef12:AAAA",
            "v1:abcdef12",
            "v1:abcdef12:not base64!",
            "v1:abcdef12:AAAA",
        ] {
            assert_eq!(
                other.decrypt(Purpose::USER_ACCESS_TOKEN, bad),
                Err(CryptoError::Malformed),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn debug_shows_key_ids_not_keys() {
        let ring = KeyRing::new(&KEY_A, &[KEY_B, KEY_A]);
        let shown = format!("{ring:?}");
        assert!(shown.contains(&key_id(&KEY_A)) && shown.contains(&key_id(&KEY_B)));
        assert!(!shown.contains("7, 7") && !shown.contains(&encode_key(&KEY_A)));
        assert_eq!(ring.old.len(), 1, "the current key is not repeated as old");
    }

    #[test]
    fn keys_are_base64_of_exactly_32_bytes() {
        assert_eq!(decode_key(&encode_key(&KEY_A)).unwrap(), KEY_A);
        assert_eq!(decode_key(&BASE64.encode(KEY_B)).unwrap(), KEY_B);
        assert_eq!(
            decode_key(&encode_key(&KEY_A)[..20]),
            Err(CryptoError::InvalidKey)
        );
        assert_eq!(
            decode_key(&base64::engine::general_purpose::STANDARD.encode([1u8; 31])),
            Err(CryptoError::InvalidKey)
        );
        assert_eq!(decode_key("not a key"), Err(CryptoError::InvalidKey));
    }

    proptest! {
        #[test]
        fn encryption_round_trips(plaintext in ".{0,300}") {
            let ring = KeyRing::new(&KEY_A, &[]);
            let stored = ring.encrypt(Purpose::USER_REFRESH_TOKEN, &plaintext);
            prop_assert_eq!(ring.decrypt(Purpose::USER_REFRESH_TOKEN, &stored).unwrap(), plaintext);
        }

        #[test]
        fn any_change_to_the_ciphertext_is_detected(plaintext in ".{1,100}", at in any::<prop::sample::Index>(), flip in 1u8..=255) {
            let ring = KeyRing::new(&KEY_A, &[]);
            let stored = ring.encrypt(Purpose::USER_ACCESS_TOKEN, &plaintext);
            let (head, body) = stored.rsplit_once(':').unwrap();
            let mut sealed = BASE64.decode(body).unwrap();
            let i = at.index(sealed.len());
            sealed[i] ^= flip;
            let tampered = format!("{head}:{}", BASE64.encode(&sealed));
            prop_assert_eq!(ring.decrypt(Purpose::USER_ACCESS_TOKEN, &tampered), Err(CryptoError::Tampered));
        }

        #[test]
        fn values_of_a_retired_key_still_decrypt_after_rotation(plaintext in ".{0,100}", old in any::<[u8; 32]>(), new in any::<[u8; 32]>()) {
            prop_assume!(key_id(&old) != key_id(&new));
            let before = KeyRing::new(&old, &[]);
            let stored = before.encrypt(Purpose::USER_ACCESS_TOKEN, &plaintext);
            let rotated = KeyRing::new(&new, &[old]);
            prop_assert_eq!(rotated.decrypt(Purpose::USER_ACCESS_TOKEN, &stored).unwrap(), plaintext.clone());
            let fresh = rotated.encrypt(Purpose::USER_ACCESS_TOKEN, &plaintext);
            let prefix = format!("v1:{}:", key_id(&new));
            prop_assert!(fresh.starts_with(&prefix));
            prop_assert_eq!(KeyRing::new(&new, &[]).decrypt(Purpose::USER_ACCESS_TOKEN, &fresh).unwrap(), plaintext);
        }
    }
}
