//! The API's access tokens: HS256 JWTs with issuer, audience and algorithm pinned.

use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};

use super::AuthError;

pub const ISSUER: &str = "azure-drift-detector";
pub const AUDIENCE: &str = "drift-api";
/// The shortest secret accepted (HS256 wants at least its hash size).
pub const MIN_SECRET_BYTES: usize = 32;

/// The claims of an access token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccessClaims {
    pub iss: String,
    pub aud: String,
    /// The user id.
    pub sub: String,
    /// The user's tenant id.
    pub tid: i64,
    /// The user's role name when the token was issued (permissions are read afresh).
    pub role: String,
    pub exp: i64,
    pub iat: i64,
    pub jti: String,
}

pub struct JwtKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
}

impl std::fmt::Debug for JwtKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("JwtKeys(***)")
    }
}

impl JwtKeys {
    pub fn from_secret(secret: &[u8]) -> Result<Self, String> {
        if secret.len() < MIN_SECRET_BYTES {
            return Err(format!(
                "the JWT secret must be at least {MIN_SECRET_BYTES} bytes"
            ));
        }
        Ok(Self {
            encoding: EncodingKey::from_secret(secret),
            decoding: DecodingKey::from_secret(secret),
        })
    }

    pub fn issue(
        &self,
        user_id: i64,
        tenant_id: i64,
        role: &str,
        now: i64,
        ttl_seconds: i64,
    ) -> String {
        let claims = AccessClaims {
            iss: ISSUER.into(),
            aud: AUDIENCE.into(),
            sub: user_id.to_string(),
            tid: tenant_id,
            role: role.into(),
            exp: now + ttl_seconds,
            iat: now,
            jti: super::random_secret(16),
        };
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)
            .expect("HS256 signing with a valid key cannot fail")
    }

    /// Verifies signature, algorithm (HS256 only; `none` and others are refused), issuer,
    /// audience and expiry (no leeway).
    pub fn verify(&self, token: &str) -> Result<AccessClaims, AuthError> {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.set_issuer(&[ISSUER]);
        validation.set_audience(&[AUDIENCE]);
        validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
        validation.leeway = 0;
        jsonwebtoken::decode::<AccessClaims>(token, &self.decoding, &validation)
            .map(|data| data.claims)
            .map_err(|_| AuthError::InvalidAccessToken)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys() -> JwtKeys {
        JwtKeys::from_secret(&[7u8; 32]).unwrap()
    }

    #[test]
    fn a_token_round_trips() {
        let now = chrono::Utc::now().timestamp();
        let token = keys().issue(5, 2, "admin", now, 60);
        let claims = keys().verify(&token).unwrap();
        assert_eq!(
            (claims.sub.as_str(), claims.tid, claims.role.as_str()),
            ("5", 2, "admin")
        );
    }

    #[test]
    fn expired_tampered_foreign_and_unsigned_tokens_are_refused() {
        let now = chrono::Utc::now().timestamp();
        assert!(
            keys()
                .verify(&keys().issue(5, 2, "admin", now - 120, 60))
                .is_err(),
            "expired"
        );
        let other = JwtKeys::from_secret(&[8u8; 32]).unwrap();
        assert!(
            keys().verify(&other.issue(5, 2, "admin", now, 60)).is_err(),
            "another key"
        );
        let token = keys().issue(5, 2, "viewer", now, 60);
        let mut parts: Vec<String> = token.split('.').map(str::to_owned).collect();
        use base64::Engine;
        let engine = base64::engine::general_purpose::URL_SAFE_NO_PAD;
        let payload = String::from_utf8(engine.decode(&parts[1]).unwrap())
            .unwrap()
            .replace("viewer", "superadmin");
        parts[1] = engine.encode(payload);
        assert!(keys().verify(&parts.join(".")).is_err(), "tampered");
        let header = engine.encode(r#"{"alg":"none","typ":"JWT"}"#);
        let unsigned = format!("{header}.{}.", token.split('.').nth(1).unwrap());
        assert!(keys().verify(&unsigned).is_err(), "alg none");
        let claims = AccessClaims {
            iss: ISSUER.into(),
            aud: "someone-else".into(),
            sub: "5".into(),
            tid: 2,
            role: "admin".into(),
            exp: now + 60,
            iat: now,
            jti: "x".into(),
        };
        let foreign = jsonwebtoken::encode(
            &Header::new(Algorithm::HS256),
            &claims,
            &EncodingKey::from_secret(&[7u8; 32]),
        )
        .unwrap();
        assert!(keys().verify(&foreign).is_err(), "wrong audience");
        assert!(JwtKeys::from_secret(b"short").is_err());
    }
}
