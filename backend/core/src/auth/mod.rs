//! Sign-in: password verification, Microsoft sign-in, the API's own access tokens (JWT) and
//! rotating refresh tokens. Nothing here knows about HTTP; the API maps [`AuthError`] to 401.

pub mod jwt;
pub mod microsoft;
pub mod sessions;

pub use jwt::{AccessClaims, JwtKeys};
pub use sessions::{Session, SessionPolicy};

/// Why a sign-in or a token was refused. The messages are deliberately alike: a client must
/// not learn whether a username exists.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuthError {
    #[error("the username or password is wrong")]
    InvalidCredentials,
    #[error("the account is disabled")]
    Inactive,
    #[error("the session has expired or was revoked; sign in again")]
    InvalidRefreshToken,
    #[error("the access token is missing, malformed, expired or not for this API")]
    InvalidAccessToken,
    #[error("this Microsoft sign-in is unknown, expired or already completed; start again")]
    UnknownSignIn,
    #[error(
        "the Microsoft account belongs to another tenant than the one the sign-in started for"
    )]
    WrongTenant,
    #[error("the sign-in hand-off code is unknown, expired or already used; sign in again")]
    InvalidHandoff,
    /// Microsoft refused the sign-in, or its answer did not pass validation.
    #[error("Microsoft sign-in failed: {0}")]
    Microsoft(String),
}

/// A random secret in URL-safe text (refresh tokens, token ids).
pub fn random_secret(bytes: usize) -> String {
    use base64::Engine;
    use rand::RngCore;
    let mut buffer = vec![0u8; bytes];
    rand::rngs::OsRng.fill_bytes(&mut buffer);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(buffer)
}

/// The stored form of a high-entropy secret: SHA-256, hex. (Passwords, which are low-entropy,
/// use argon2id instead.)
pub fn secret_hash(secret: &str) -> String {
    use sha2::Digest;
    sha2::Sha256::digest(secret.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Checks a password against an argon2 PHC hash; false for anything unparsable.
pub fn verify_password(hash: &str, password: &str) -> bool {
    use argon2::password_hash::{PasswordHash, PasswordVerifier};
    PasswordHash::new(hash)
        .map(|parsed| {
            argon2::Argon2::default()
                .verify_password(password.as_bytes(), &parsed)
                .is_ok()
        })
        .unwrap_or(false)
}
