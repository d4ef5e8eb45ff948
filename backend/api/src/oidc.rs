//! Microsoft sign-in over OpenID Connect (authorization code + PKCE) against the authority of
//! the tenant's own Entra tenant: discovery (cached per tenant), the authorization request, the
//! code exchange and the validation of the ID token. What to do with the verified identity is
//! drift-core's business (`drift_core::auth::microsoft`).
//!
//! The authority is tenant-specific (`{AZURE_AUTHORITY_HOST}/{azure_tenant_id}/v2.0`), never
//! `common` or `organizations`, so the discovered issuer already names the tenant; the `tid`
//! claim is checked as well. [Microsoft identity platform and OpenID Connect protocol,
//! learn.microsoft.com/entra/identity-platform/v2-protocols-oidc]

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use drift_core::auth::microsoft::{MicrosoftIdentity, MicrosoftTokens, PendingLogin};
use drift_core::auth::AuthError;
use drift_core::UtcTime;
use openidconnect::core::{
    CoreAuthDisplay, CoreAuthPrompt, CoreAuthenticationFlow, CoreErrorResponseType,
    CoreGenderClaim, CoreJsonWebKey, CoreJweContentEncryptionAlgorithm, CoreJwsSigningAlgorithm,
    CoreProviderMetadata, CoreRevocableToken, CoreRevocationErrorResponse,
    CoreTokenIntrospectionResponse, CoreTokenType,
};
use openidconnect::{
    AdditionalClaims, AuthType, AuthorizationCode, ClaimsVerificationError, ClientId, ClientSecret,
    CsrfToken, EmptyExtraTokenFields, EndpointMaybeSet, EndpointNotSet, EndpointSet, IdTokenFields,
    IssuerUrl, Nonce, OAuth2TokenResponse, PkceCodeChallenge, PkceCodeVerifier, RedirectUrl,
    RequestTokenError, Scope, StandardErrorResponse, StandardTokenResponse, TokenResponse,
};
use serde::{Deserialize, Serialize};

use crate::config::MicrosoftConfig;
use crate::problem::{ApiError, ProblemKind};

/// How long a tenant's discovery document and signing keys are reused.
const DISCOVERY_TTL: Duration = Duration::from_secs(60 * 60);
/// The longest wait for the identity platform.
const HTTP_TIMEOUT: Duration = Duration::from_secs(15);
/// Besides `openid`, which is always sent: the profile claims, the e-mail address, and a
/// refresh token.
const SCOPES: [&str; 3] = ["profile", "email", "offline_access"];

/// The Entra claims of an ID token beyond the standard ones.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct EntraClaims {
    /// The tenant that issued the token.
    tid: Option<String>,
    /// The user's object id in that tenant.
    oid: Option<String>,
}

impl AdditionalClaims for EntraClaims {}

type EntraTokenResponse = StandardTokenResponse<
    IdTokenFields<
        EntraClaims,
        EmptyExtraTokenFields,
        CoreGenderClaim,
        CoreJweContentEncryptionAlgorithm,
        CoreJwsSigningAlgorithm,
    >,
    CoreTokenType,
>;

/// An OpenID Connect client built from a tenant's discovery document.
type EntraClient = openidconnect::Client<
    EntraClaims,
    CoreAuthDisplay,
    CoreGenderClaim,
    CoreJweContentEncryptionAlgorithm,
    CoreJsonWebKey,
    CoreAuthPrompt,
    StandardErrorResponse<CoreErrorResponseType>,
    EntraTokenResponse,
    CoreTokenIntrospectionResponse,
    CoreRevocableToken,
    CoreRevocationErrorResponse,
    EndpointSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointMaybeSet,
    EndpointMaybeSet,
>;

/// The start of a sign-in: where to send the browser, and the secrets to keep until the
/// callback.
pub struct Authorization {
    pub url: String,
    pub state: String,
    pub nonce: String,
    pub pkce_verifier: String,
}

/// Microsoft sign-in for every tenant, with one HTTP client and a discovery cache.
pub struct MicrosoftSignIn {
    config: MicrosoftConfig,
    http: openidconnect::reqwest::Client,
    discovered: Mutex<HashMap<String, (Instant, CoreProviderMetadata)>>,
}

impl std::fmt::Debug for MicrosoftSignIn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MicrosoftSignIn")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

/// The problem for an identity platform that cannot be reached or answers nonsense. What went
/// wrong is logged (without tokens); the client learns only that it was Microsoft's side.
fn unreachable(what: &str, err: &dyn std::fmt::Display) -> ApiError {
    log::warn!("Microsoft sign-in: {what}: {err}");
    ApiError::Problem(
        ProblemKind::BadGateway,
        format!("Microsoft's identity platform could not be used ({what}); try again later"),
    )
}

fn refused(reason: impl Into<String>) -> ApiError {
    ApiError::Core(AuthError::Microsoft(reason.into()).into())
}

/// The first line of an error description from Microsoft, shortened: descriptions end with
/// trace and correlation ids, which help nobody reading the problem.
pub(crate) fn first_line(description: &str) -> String {
    let line = description.lines().next().unwrap_or_default();
    let line = line.split(" Trace ID:").next().unwrap_or(line).trim();
    line.chars().take(300).collect()
}

/// Whether `tid` is the tenant the sign-in started for.
pub fn check_tenant(expected_azure_tenant_id: &str, tid: Option<&str>) -> Result<(), ApiError> {
    match tid {
        Some(tid) if tid.eq_ignore_ascii_case(expected_azure_tenant_id) => Ok(()),
        _ => Err(ApiError::Core(AuthError::WrongTenant.into())),
    }
}

impl MicrosoftSignIn {
    pub fn new(config: MicrosoftConfig) -> Result<Self, String> {
        let http = openidconnect::reqwest::ClientBuilder::new()
            // Following redirects from the token endpoint would expose the client secret
            // and the code to wherever they point.
            .redirect(openidconnect::reqwest::redirect::Policy::none())
            .timeout(HTTP_TIMEOUT)
            .build()
            .map_err(|e| format!("cannot build the HTTP client for Microsoft sign-in: {e}"))?;
        Ok(Self {
            config,
            http,
            discovered: Mutex::new(HashMap::new()),
        })
    }

    pub fn config(&self) -> &MicrosoftConfig {
        &self.config
    }

    /// The tenant's discovery document with its signing keys, from the cache when fresh.
    async fn metadata(&self, azure_tenant_id: &str) -> Result<CoreProviderMetadata, ApiError> {
        if let Some((fetched, metadata)) = self.discovered.lock().unwrap().get(azure_tenant_id) {
            if fetched.elapsed() < DISCOVERY_TTL {
                return Ok(metadata.clone());
            }
        }
        let issuer = IssuerUrl::new(format!(
            "{}/{azure_tenant_id}/v2.0",
            self.config.authority_host
        ))
        .map_err(|e| unreachable("the issuer URL is invalid", &e))?;
        let metadata = CoreProviderMetadata::discover_async(issuer, &self.http)
            .await
            .map_err(|e| unreachable("OpenID Connect discovery failed", &e))?;
        self.discovered.lock().unwrap().insert(
            azure_tenant_id.to_owned(),
            (Instant::now(), metadata.clone()),
        );
        Ok(metadata)
    }

    /// Forgets a tenant's discovery document, so that rotated signing keys are fetched anew.
    fn forget(&self, azure_tenant_id: &str) {
        self.discovered.lock().unwrap().remove(azure_tenant_id);
    }

    async fn client(&self, azure_tenant_id: &str) -> Result<EntraClient, ApiError> {
        let metadata = self.metadata(azure_tenant_id).await?;
        let redirect = RedirectUrl::new(self.config.redirect_uri())
            .map_err(|e| unreachable("the redirect URI is invalid", &e))?;
        Ok(EntraClient::from_provider_metadata(
            metadata,
            ClientId::new(self.config.client_id.clone()),
            Some(ClientSecret::new(self.config.client_secret.clone())),
        )
        // The client secret goes in the form body, as Microsoft's documentation shows.
        .set_auth_type(AuthType::RequestBody)
        .set_redirect_uri(redirect))
    }

    /// A new authorization request to the tenant's authority: PKCE (S256), state and nonce.
    pub async fn authorization(
        &self,
        azure_tenant_id: &str,
        login_hint: Option<&str>,
    ) -> Result<Authorization, ApiError> {
        let client = self.client(azure_tenant_id).await?;
        let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
        let mut request = client
            .authorize_url(
                CoreAuthenticationFlow::AuthorizationCode,
                CsrfToken::new_random,
                Nonce::new_random,
            )
            .set_pkce_challenge(challenge);
        for scope in SCOPES {
            request = request.add_scope(Scope::new(scope.to_owned()));
        }
        if let Some(hint) = login_hint.map(str::trim).filter(|h| !h.is_empty()) {
            request = request.add_extra_param("login_hint", hint.to_owned());
        }
        let (url, state, nonce) = request.url();
        Ok(Authorization {
            url: url.to_string(),
            state: state.secret().clone(),
            nonce: nonce.secret().clone(),
            pkce_verifier: verifier.secret().clone(),
        })
    }

    /// Redeems the authorization code of `pending` and validates the ID token: signature
    /// (the tenant's JWKS), issuer, audience (our client id), expiry, nonce, and that `tid` is
    /// the tenant the sign-in started for.
    pub async fn redeem(
        &self,
        pending: &PendingLogin,
        code: &str,
        now: UtcTime,
    ) -> Result<(MicrosoftIdentity, MicrosoftTokens), ApiError> {
        let azure_tenant_id = pending.tenant.azure_tenant_id.as_str();
        let client = self.client(azure_tenant_id).await?;
        let response = client
            .exchange_code(AuthorizationCode::new(code.to_owned()))
            .map_err(|e| unreachable("the discovery document has no token endpoint", &e))?
            .set_pkce_verifier(PkceCodeVerifier::new(pending.pkce_verifier.clone()))
            .request_async(&self.http)
            .await
            .map_err(|e| match e {
                RequestTokenError::ServerResponse(answer) => refused(format!(
                    "{}: {}",
                    answer.error().as_ref(),
                    first_line(answer.error_description().map_or("", String::as_str))
                )),
                // The body of an unparsable answer is not shown: it could hold a token.
                RequestTokenError::Parse(_, _) => unreachable(
                    "the token endpoint's answer is not a token response",
                    &"unparsable body",
                ),
                other => unreachable("the token request failed", &other),
            })?;
        let id_token = response
            .id_token()
            .ok_or_else(|| refused("Microsoft returned no ID token"))?;
        let verifier = client.id_token_verifier();
        let claims = id_token
            .claims(&verifier, |nonce: Option<&Nonce>| match nonce {
                Some(nonce) if pending.nonce_matches(nonce.secret()) => Ok(()),
                Some(_) => Err("the nonce is not the one this sign-in sent".to_owned()),
                None => Err("the nonce is missing".to_owned()),
            })
            .map_err(|e| {
                if matches!(e, ClaimsVerificationError::SignatureVerification(_)) {
                    self.forget(azure_tenant_id);
                }
                refused(format!("the ID token is not valid: {e}"))
            })?;
        let extra = claims.additional_claims();
        check_tenant(azure_tenant_id, extra.tid.as_deref())?;
        let text = |claim: Option<&str>| claim.map(str::to_owned);
        let identity = MicrosoftIdentity {
            object_id: extra.oid.clone().unwrap_or_default(),
            email: text(claims.email().map(|e| e.as_str())),
            preferred_username: text(claims.preferred_username().map(|u| u.as_str())),
            given_name: text(
                claims
                    .given_name()
                    .and_then(|n| n.get(None))
                    .map(|n| n.as_str()),
            ),
            family_name: text(
                claims
                    .family_name()
                    .and_then(|n| n.get(None))
                    .map(|n| n.as_str()),
            ),
        };
        let tokens = MicrosoftTokens {
            access_token: response.access_token().secret().clone(),
            refresh_token: response.refresh_token().map(|t| t.secret().clone()),
            expires_at: response.expires_in().and_then(|lifetime| {
                chrono::Duration::from_std(lifetime)
                    .ok()
                    .map(|lifetime| UtcTime::new(now.get() + lifetime))
            }),
        };
        Ok((identity, tokens))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_sign_ins_own_tenant_is_accepted() {
        let tenant = "72f988bf-86f1-41af-91ab-2d7cd011db47";
        assert!(check_tenant(tenant, Some(tenant)).is_ok());
        assert!(check_tenant(tenant, Some(&tenant.to_uppercase())).is_ok());
        for other in [Some("11111111-2222-4333-8444-555555555555"), Some(""), None] {
            let err = check_tenant(tenant, other).unwrap_err();
            assert!(
                matches!(
                    err,
                    ApiError::Core(drift_core::CoreError::Auth(AuthError::WrongTenant))
                ),
                "{other:?}"
            );
        }
    }

    #[test]
    fn microsoft_error_descriptions_lose_their_trace_ids() {
        assert_eq!(
            first_line("AADSTS54005: OAuth2 Authorization code was already redeemed. Trace ID: 1 Correlation ID: 2 Timestamp: 3\r\nmore"),
            "AADSTS54005: OAuth2 Authorization code was already redeemed."
        );
    }
}
