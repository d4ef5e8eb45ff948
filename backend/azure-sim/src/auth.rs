//! The identity platform: the v2 token endpoint (client credentials), OpenID discovery and
//! JWKS, and validation of the bearer tokens Graph and ARM calls carry.

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use chrono::Utc;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::errors::{arm_error, graph_error, identity_error};
use crate::state::SimState;

const SIGNING_KEY_PEM: &[u8] = include_bytes!("keys/signing-key.pem");
const SIGNING_KEY_MODULUS: &str = include_str!("keys/modulus.b64url");
const SIGNING_KEY_EXPONENT: &str = "AQAB";
/// The key id in token headers and the JWKS.
pub const KEY_ID: &str = "azure-sim-1";

/// The resources tokens can be asked for, by scope.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Resource {
    Graph,
    Arm,
}

impl Resource {
    /// The `aud` claim, as the real services put it in app-only tokens.
    pub fn audience(self) -> &'static str {
        match self {
            Resource::Graph => "https://graph.microsoft.com",
            Resource::Arm => "https://management.azure.com/",
        }
    }

    /// Accepts the public, US Government and China cloud resource identifiers.
    fn from_scope(scope: &str) -> Option<Resource> {
        let resource = scope
            .trim()
            .strip_suffix("/.default")?
            .trim_end_matches('/')
            .to_ascii_lowercase();
        match resource.as_str() {
            "https://graph.microsoft.com"
            | "https://graph.microsoft.us"
            | "https://dod-graph.microsoft.us"
            | "https://microsoftgraph.chinacloudapi.cn"
            | "00000003-0000-0000-c000-000000000000" => Some(Resource::Graph),
            "https://management.azure.com"
            | "https://management.core.windows.net"
            | "https://management.usgovcloudapi.net"
            | "https://management.chinacloudapi.cn" => Some(Resource::Arm),
            _ => None,
        }
    }
}

/// The claims of the app-only access tokens the simulator issues (v1 format, as Graph and ARM
/// tokens are).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AccessClaims {
    pub aud: String,
    pub iss: String,
    pub iat: i64,
    pub nbf: i64,
    pub exp: i64,
    pub tid: String,
    pub oid: String,
    pub sub: String,
    pub appid: String,
    pub idtyp: String,
    pub roles: Vec<String>,
    pub ver: String,
}

pub struct SigningKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
}

impl SigningKeys {
    pub fn load() -> Self {
        Self {
            encoding: EncodingKey::from_rsa_pem(SIGNING_KEY_PEM)
                .expect("the embedded signing key parses"),
            decoding: DecodingKey::from_rsa_components(
                SIGNING_KEY_MODULUS.trim(),
                SIGNING_KEY_EXPONENT,
            )
            .expect("the embedded public key parses"),
        }
    }

    pub fn sign<T: Serialize>(&self, claims: &T) -> String {
        let mut header = Header::new(Algorithm::RS256);
        header.kid = Some(KEY_ID.to_owned());
        header.typ = Some("JWT".to_owned());
        jsonwebtoken::encode(&header, claims, &self.encoding)
            .expect("signing cannot fail with a valid key")
    }

    /// The JWKS document.
    pub fn jwks() -> serde_json::Value {
        json!({"keys": [{"kty": "RSA", "use": "sig", "kid": KEY_ID, "x5t": KEY_ID, "n": SIGNING_KEY_MODULUS.trim(), "e": SIGNING_KEY_EXPONENT, "alg": "RS256"}]})
    }
}

#[derive(Debug, Deserialize)]
pub struct TokenForm {
    grant_type: Option<String>,
    client_id: Option<String>,
    client_secret: Option<String>,
    scope: Option<String>,
    code: Option<String>,
    redirect_uri: Option<String>,
    code_verifier: Option<String>,
    refresh_token: Option<String>,
}

/// A signed-in user's pending authorization code or live refresh token.
#[derive(Debug, Clone)]
pub struct Grant {
    tenant_id: String,
    client_id: String,
    user_id: String,
    redirect_uri: String,
    code_challenge: Option<String>,
    code_challenge_method: Option<String>,
    nonce: Option<String>,
    scope: String,
    expires_at: chrono::DateTime<Utc>,
}

/// Authorization codes (single use, ten minutes) and refresh tokens (rotated on use).
#[derive(Debug, Default)]
pub struct Sessions {
    codes: std::collections::HashMap<String, Grant>,
    /// Codes already redeemed, until they would have expired: a second redemption is told
    /// apart from an unknown code, as Entra does (AADSTS54005).
    redeemed: std::collections::HashMap<String, chrono::DateTime<Utc>>,
    refresh_tokens: std::collections::HashMap<String, Grant>,
}

fn random_token(bytes: usize) -> String {
    use base64::Engine;
    use rand::RngCore;
    let mut buffer = vec![0u8; bytes];
    rand::thread_rng().fill_bytes(&mut buffer);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(buffer)
}

#[derive(Debug, Deserialize)]
pub struct AuthorizeQuery {
    client_id: Option<String>,
    response_type: Option<String>,
    redirect_uri: Option<String>,
    scope: Option<String>,
    state: Option<String>,
    nonce: Option<String>,
    code_challenge: Option<String>,
    code_challenge_method: Option<String>,
    login_hint: Option<String>,
}

/// `GET /{tenant}/oauth2/v2.0/authorize`: signs in a simulated user without a form (the one
/// named by `login_hint`, else the tenant's first user) and redirects back with a code, or with
/// `consent_required` when auto-consent is off.
pub async fn authorize(
    state: web::Data<SimState>,
    path: web::Path<String>,
    query: web::Query<AuthorizeQuery>,
) -> HttpResponse {
    let tenant_ref = path.into_inner();
    let query = query.into_inner();
    let world = state.world.lock().unwrap();
    let Some(tenant) = world.tenant(&tenant_ref) else {
        return identity_error(
            StatusCode::BAD_REQUEST,
            "invalid_tenant",
            90002,
            &format!("Tenant '{tenant_ref}' not found."),
        );
    };
    let Some(redirect_uri) = query
        .redirect_uri
        .clone()
        .filter(|u| url::Url::parse(u).is_ok())
    else {
        return identity_error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            900971,
            "No reply address provided.",
        );
    };
    let redirect = |params: &[(&str, &str)]| {
        let mut url = url::Url::parse(&redirect_uri).expect("checked above");
        {
            let mut pairs = url.query_pairs_mut();
            for (k, v) in params {
                pairs.append_pair(k, v);
            }
            if let Some(s) = &query.state {
                pairs.append_pair("state", s);
            }
        }
        HttpResponse::Found()
            .insert_header(("location", url.to_string()))
            .finish()
    };
    if !query
        .client_id
        .as_deref()
        .is_some_and(|c| c.eq_ignore_ascii_case(&tenant.client_id))
    {
        return redirect(&[
            ("error", "unauthorized_client"),
            (
                "error_description",
                "AADSTS700016: Application was not found in the directory.",
            ),
        ]);
    }
    if query.response_type.as_deref() != Some("code") {
        return redirect(&[
            ("error", "unsupported_response_type"),
            (
                "error_description",
                "AADSTS70005: response_type 'code' is required.",
            ),
        ]);
    }
    if let Some(method) = &query.code_challenge_method {
        if method != "S256" && method != "plain" {
            return redirect(&[
                ("error", "invalid_request"),
                (
                    "error_description",
                    "AADSTS501491: Invalid code_challenge_method.",
                ),
            ]);
        }
    }
    if !world.config.auto_consent {
        return redirect(&[
            ("error", "consent_required"),
            (
                "error_description",
                "AADSTS65001: The user or administrator has not consented to use the application.",
            ),
        ]);
    }
    let user = match &query.login_hint {
        Some(hint) => match tenant
            .users
            .iter()
            .find(|u| u.upn.eq_ignore_ascii_case(hint))
        {
            Some(user) => user.clone(),
            None => {
                return redirect(&[
                    ("error", "login_required"),
                    (
                        "error_description",
                        "AADSTS50034: The user account does not exist in this directory.",
                    ),
                ])
            }
        },
        None => tenant.users[0].clone(),
    };
    let code = random_token(32);
    let grant = Grant {
        tenant_id: tenant.tenant_id.clone(),
        client_id: tenant.client_id.clone(),
        user_id: user.id.clone(),
        redirect_uri: redirect_uri.clone(),
        code_challenge: query.code_challenge.clone(),
        code_challenge_method: query
            .code_challenge_method
            .clone()
            .or_else(|| query.code_challenge.as_ref().map(|_| "plain".into())),
        nonce: query.nonce.clone(),
        scope: query
            .scope
            .clone()
            .unwrap_or_else(|| "openid profile".into()),
        expires_at: Utc::now() + chrono::Duration::minutes(10),
    };
    drop(world);
    state
        .sessions
        .lock()
        .unwrap()
        .codes
        .insert(code.clone(), grant);
    redirect(&[("code", &code), ("session_state", &random_token(16))])
}

fn pkce_matches(grant: &Grant, verifier: Option<&str>) -> bool {
    use base64::Engine;
    use sha2::Digest;
    match (&grant.code_challenge, verifier) {
        (None, _) => true,
        (Some(_), None) => false,
        (Some(challenge), Some(verifier)) => match grant.code_challenge_method.as_deref() {
            Some("S256") => {
                let digest = sha2::Sha256::digest(verifier.as_bytes());
                base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(digest) == *challenge
            }
            _ => verifier == challenge,
        },
    }
}

/// The token response of the user flows: an access token for Graph, a rotating refresh token
/// and, with `openid`, an ID token.
fn user_tokens(state: &SimState, req: &HttpRequest, grant: &Grant) -> HttpResponse {
    let world = state.world.lock().unwrap();
    let Some(tenant) = world.tenant(&grant.tenant_id) else {
        return identity_error(
            StatusCode::BAD_REQUEST,
            "invalid_grant",
            70000,
            "The tenant no longer exists.",
        );
    };
    let Some(user) = tenant.users.iter().find(|u| u.id == grant.user_id) else {
        return identity_error(
            StatusCode::BAD_REQUEST,
            "invalid_grant",
            50034,
            "The user account does not exist in this directory.",
        );
    };
    let now = Utc::now().timestamp();
    let lifetime = state.options.token_lifetime_seconds;
    let access = state.keys.sign(&json!({
        "aud": "https://graph.microsoft.com", "iss": format!("https://sts.windows.net/{}/", tenant.tenant_id),
        "iat": now, "nbf": now, "exp": now + lifetime, "tid": tenant.tenant_id, "oid": user.id, "sub": user.id,
        "upn": user.upn, "name": user.display_name, "appid": grant.client_id, "scp": "openid profile email User.Read",
        "idtyp": "user", "ver": "1.0"
    }));
    let id_token = state.keys.sign(&json!({
        "aud": grant.client_id, "iss": format!("{}/{}/v2.0", base_url(req), tenant.tenant_id),
        "iat": now, "nbf": now, "exp": now + lifetime, "tid": tenant.tenant_id, "oid": user.id, "sub": user.id,
        "preferred_username": user.upn, "email": user.upn, "name": user.display_name, "nonce": grant.nonce, "ver": "2.0"
    }));
    drop(world);
    let refresh_token = random_token(48);
    let mut refreshed = grant.clone();
    refreshed.expires_at = Utc::now() + chrono::Duration::days(90);
    state
        .sessions
        .lock()
        .unwrap()
        .refresh_tokens
        .insert(refresh_token.clone(), refreshed);
    let mut body = json!({
        "token_type": "Bearer",
        "scope": grant.scope,
        "expires_in": lifetime,
        "ext_expires_in": lifetime,
        "access_token": access,
        "refresh_token": refresh_token
    });
    if grant.scope.split_whitespace().any(|s| s == "openid") {
        body["id_token"] = json!(id_token);
    }
    HttpResponse::Ok()
        .insert_header(("cache-control", "no-store, no-cache"))
        .json(body)
}

fn user_grant(
    state: &SimState,
    req: &HttpRequest,
    tenant_id: &str,
    form: &TokenForm,
) -> HttpResponse {
    let client_ok = {
        let world = state.world.lock().unwrap();
        let tenant = world.tenant(tenant_id).expect("checked by the caller");
        form.client_id
            .as_deref()
            .is_some_and(|c| c.eq_ignore_ascii_case(&tenant.client_id))
            && form
                .client_secret
                .as_deref()
                .is_some_and(|s| constant_time_eq(s.as_bytes(), tenant.client_secret.as_bytes()))
    };
    if !client_ok {
        return identity_error(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            7000215,
            "Invalid client secret provided.",
        );
    }
    let mut sessions = state.sessions.lock().unwrap();
    let grant = match form.grant_type.as_deref() {
        Some("authorization_code") => {
            let now = Utc::now();
            sessions.redeemed.retain(|_, expires_at| *expires_at > now);
            let code = form.code.as_deref().unwrap_or_default();
            if sessions.redeemed.contains_key(code) {
                return identity_error(StatusCode::BAD_REQUEST, "invalid_grant", 54005, "OAuth2 Authorization code was already redeemed, please retry with a new valid code or use an existing refresh token.");
            }
            let Some(grant) = sessions.codes.remove(code) else {
                return identity_error(StatusCode::BAD_REQUEST, "invalid_grant", 70008, "The provided authorization code or refresh token has expired due to inactivity.");
            };
            // A code is spent by its first redemption, whatever its outcome.
            sessions.redeemed.insert(code.to_owned(), grant.expires_at);
            if !grant.tenant_id.eq_ignore_ascii_case(tenant_id) {
                return identity_error(
                    StatusCode::BAD_REQUEST,
                    "invalid_grant",
                    700005,
                    "Provided Authorization Code is intended to use against other tenant, thus rejected.",
                );
            }
            if grant.expires_at < now {
                return identity_error(
                    StatusCode::BAD_REQUEST,
                    "invalid_grant",
                    70008,
                    "The provided authorization code has expired.",
                );
            }
            if form.redirect_uri.as_deref() != Some(grant.redirect_uri.as_str()) {
                return identity_error(
                    StatusCode::BAD_REQUEST,
                    "invalid_grant",
                    70001,
                    "The reply URL does not match the one of the authorization request.",
                );
            }
            if !pkce_matches(&grant, form.code_verifier.as_deref()) {
                return identity_error(StatusCode::BAD_REQUEST, "invalid_grant", 501481, "The Code_Verifier does not match the code_challenge supplied in the authorization request.");
            }
            grant
        }
        _ => {
            let Some(grant) = form
                .refresh_token
                .as_deref()
                .and_then(|t| sessions.refresh_tokens.remove(t))
            else {
                return identity_error(
                    StatusCode::BAD_REQUEST,
                    "invalid_grant",
                    9002313,
                    "Invalid request. The refresh token is malformed, revoked or was already used.",
                );
            };
            grant
        }
    };
    drop(sessions);
    // `tenant_id` is the canonical id of the tenant in the URL.
    if !grant.tenant_id.eq_ignore_ascii_case(tenant_id) {
        return identity_error(
            StatusCode::BAD_REQUEST,
            "invalid_grant",
            50020,
            "The grant was issued for another tenant.",
        );
    }
    user_tokens(state, req, &grant)
}

/// `POST /{tenant}/oauth2/v2.0/token`
pub async fn token(
    state: web::Data<SimState>,
    req: HttpRequest,
    path: web::Path<String>,
    form: web::Form<TokenForm>,
) -> HttpResponse {
    let tenant_ref = path.into_inner();
    let form = form.into_inner();
    let world = state.world.lock().unwrap();
    let Some(tenant) = world.tenant(&tenant_ref) else {
        return identity_error(StatusCode::BAD_REQUEST, "invalid_tenant", 90002, &format!("Tenant '{tenant_ref}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud."));
    };
    match form.grant_type.as_deref() {
        Some("client_credentials") => {}
        Some("authorization_code" | "refresh_token") => {
            let tenant_id = tenant.tenant_id.clone();
            drop(world);
            return user_grant(&state, &req, &tenant_id, &form);
        }
        Some(other) => {
            return identity_error(
                StatusCode::BAD_REQUEST,
                "unsupported_grant_type",
                70003,
                &format!("The app requested an unsupported grant type '{other}'."),
            )
        }
        None => {
            return identity_error(
                StatusCode::BAD_REQUEST,
                "invalid_request",
                900144,
                "The request body must contain the following parameter: 'grant_type'.",
            )
        }
    }
    let Some(client_id) = form.client_id.as_deref() else {
        return identity_error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            900144,
            "The request body must contain the following parameter: 'client_id'.",
        );
    };
    if !client_id.eq_ignore_ascii_case(&tenant.client_id) {
        return identity_error(StatusCode::BAD_REQUEST, "unauthorized_client", 700016, &format!("Application with identifier '{client_id}' was not found in the directory '{}'. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant.", tenant.name));
    }
    let secret_matches = form
        .client_secret
        .as_deref()
        .is_some_and(|secret| constant_time_eq(secret.as_bytes(), tenant.client_secret.as_bytes()));
    if !secret_matches {
        return identity_error(StatusCode::UNAUTHORIZED, "invalid_client", 7000215, "Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app.");
    }
    let Some(resource) = form.scope.as_deref().and_then(Resource::from_scope) else {
        return identity_error(StatusCode::BAD_REQUEST, "invalid_scope", 70011, &format!("The provided request must include a 'scope' input parameter. The provided value for the input parameter 'scope' is not valid: {:?}. The scope requested must be a resource's /.default scope.", form.scope.unwrap_or_default()));
    };
    let now = Utc::now().timestamp();
    let lifetime = state.options.token_lifetime_seconds;
    let claims = AccessClaims {
        aud: resource.audience().to_owned(),
        iss: format!("https://sts.windows.net/{}/", tenant.tenant_id),
        iat: now,
        nbf: now,
        exp: now + lifetime,
        tid: tenant.tenant_id.clone(),
        oid: tenant.client_id.clone(),
        sub: tenant.client_id.clone(),
        appid: tenant.client_id.clone(),
        idtyp: "app".into(),
        roles: match resource {
            Resource::Graph => vec![
                "Policy.Read.All".into(),
                "AuditLog.Read.All".into(),
                "Directory.Read.All".into(),
                "DeviceManagementConfiguration.Read.All".into(),
                "Application.Read.All".into(),
                "RoleManagement.Read.Directory".into(),
            ],
            Resource::Arm => vec![],
        },
        ver: "1.0".into(),
    };
    let access_token = state.keys.sign(&claims);
    HttpResponse::Ok()
        .insert_header(("cache-control", "no-store, no-cache"))
        .json(json!({
            "token_type": "Bearer",
            "expires_in": lifetime,
            "ext_expires_in": lifetime,
            "access_token": access_token
        }))
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// The external base URL of this server, as the caller reached it.
pub fn base_url(req: &HttpRequest) -> String {
    let info = req.connection_info();
    format!("{}://{}", info.scheme(), info.host())
}

/// `GET /{tenant}/v2.0/.well-known/openid-configuration`
pub async fn openid_configuration(
    state: web::Data<SimState>,
    req: HttpRequest,
    path: web::Path<String>,
) -> HttpResponse {
    let tenant_ref = path.into_inner();
    let world = state.world.lock().unwrap();
    let Some(tenant) = world.tenant(&tenant_ref) else {
        return identity_error(
            StatusCode::BAD_REQUEST,
            "invalid_tenant",
            90002,
            &format!("Tenant '{tenant_ref}' not found."),
        );
    };
    let base = base_url(&req);
    let tid = &tenant.tenant_id;
    HttpResponse::Ok().json(json!({
        "token_endpoint": format!("{base}/{tid}/oauth2/v2.0/token"),
        "token_endpoint_auth_methods_supported": ["client_secret_post", "private_key_jwt", "client_secret_basic"],
        "jwks_uri": format!("{base}/{tid}/discovery/v2.0/keys"),
        "response_modes_supported": ["query", "fragment", "form_post"],
        "subject_types_supported": ["pairwise"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "response_types_supported": ["code", "id_token", "code id_token", "id_token token"],
        "scopes_supported": ["openid", "profile", "email", "offline_access"],
        "issuer": format!("{base}/{tid}/v2.0"),
        "request_uri_parameter_supported": false,
        "userinfo_endpoint": format!("{base}/oidc/userinfo"),
        "authorization_endpoint": format!("{base}/{tid}/oauth2/v2.0/authorize"),
        "device_authorization_endpoint": format!("{base}/{tid}/oauth2/v2.0/devicecode"),
        "http_logout_supported": true,
        "frontchannel_logout_supported": true,
        "end_session_endpoint": format!("{base}/{tid}/oauth2/v2.0/logout"),
        "claims_supported": ["sub", "iss", "cloud_instance_name", "cloud_instance_host_name", "cloud_graph_host_name", "msgraph_host", "aud", "exp", "iat", "auth_time", "acr", "nonce", "preferred_username", "name", "tid", "ver", "at_hash", "c_hash", "email"],
        "kerberos_endpoint": format!("{base}/{tid}/kerberos"),
        "tenant_region_scope": "EU",
        "cloud_instance_name": "microsoftonline.com",
        "cloud_graph_host_name": "graph.windows.net",
        "msgraph_host": "graph.microsoft.com",
        "rbac_url": "https://pas.windows.net",
        "code_challenge_methods_supported": ["plain", "S256"]
    }))
}

/// `GET /{tenant}/discovery/v2.0/keys`
pub async fn jwks() -> HttpResponse {
    HttpResponse::Ok().json(SigningKeys::jwks())
}

/// Why a bearer token was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuthFailure {
    Missing,
    Invalid(String),
    Expired,
    WrongAudience,
    Revoked,
}

/// Checks the bearer token of a Graph or ARM call and returns the caller's tenant id.
pub fn authenticate(
    state: &SimState,
    req: &HttpRequest,
    resource: Resource,
) -> Result<String, AuthFailure> {
    let header = req
        .headers()
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .ok_or(AuthFailure::Missing)?;
    let token = header
        .strip_prefix("Bearer ")
        .or_else(|| header.strip_prefix("bearer "))
        .ok_or_else(|| {
            AuthFailure::Invalid("the Authorization header is not a bearer token".into())
        })?;
    let mut validation = Validation::new(Algorithm::RS256);
    validation.validate_aud = false;
    validation.leeway = 0;
    validation.set_required_spec_claims(&["exp", "aud"]);
    let data =
        jsonwebtoken::decode::<AccessClaims>(token.trim(), &state.keys.decoding, &validation)
            .map_err(|e| match e.kind() {
                jsonwebtoken::errors::ErrorKind::ExpiredSignature => AuthFailure::Expired,
                _ => AuthFailure::Invalid(e.to_string()),
            })?;
    let claims = data.claims;
    if claims.aud.trim_end_matches('/') != resource.audience().trim_end_matches('/') {
        return Err(AuthFailure::WrongAudience);
    }
    let world = state.world.lock().unwrap();
    let tenant = world
        .tenant(&claims.tid)
        .ok_or_else(|| AuthFailure::Invalid("unknown tenant".into()))?;
    if tenant
        .tokens_valid_after
        .is_some_and(|after| claims.iat < after.timestamp())
    {
        return Err(AuthFailure::Revoked);
    }
    Ok(tenant.tenant_id.clone())
}

/// The 401 each service answers for a refused token.
pub fn unauthorized(resource: Resource, failure: &AuthFailure) -> HttpResponse {
    match resource {
        Resource::Graph => {
            let message = match failure {
                AuthFailure::Missing => "Access token is empty.".to_owned(),
                AuthFailure::Expired => "Lifetime validation failed, the token is expired.".to_owned(),
                AuthFailure::WrongAudience => "Invalid audience.".to_owned(),
                AuthFailure::Revoked => "Continuous access evaluation resulted in challenge with result: InteractionRequired and code: TokenIssuedBeforeRevocationTimestamp".to_owned(),
                AuthFailure::Invalid(why) => format!("IDX14100: JWT is not well formed: {why}"),
            };
            let mut response = graph_error(
                StatusCode::UNAUTHORIZED,
                "InvalidAuthenticationToken",
                &message,
            );
            response.headers_mut().insert(
                actix_web::http::header::WWW_AUTHENTICATE,
                actix_web::http::header::HeaderValue::from_static("Bearer realm=\"\", authorization_uri=\"https://login.microsoftonline.com/common/oauth2/authorize\", client_id=\"00000003-0000-0000-c000-000000000000\""),
            );
            response
        }
        Resource::Arm => match failure {
            AuthFailure::Missing => arm_error(
                StatusCode::UNAUTHORIZED,
                "AuthenticationFailed",
                "Authentication failed. The 'Authorization' header is missing.",
            ),
            AuthFailure::Expired => arm_error(
                StatusCode::UNAUTHORIZED,
                "ExpiredAuthenticationToken",
                "The access token expiry UTC time is earlier than current UTC time.",
            ),
            AuthFailure::WrongAudience => arm_error(
                StatusCode::UNAUTHORIZED,
                "InvalidAuthenticationTokenAudience",
                "The access token has been obtained for wrong audience or resource.",
            ),
            AuthFailure::Revoked => arm_error(
                StatusCode::UNAUTHORIZED,
                "InvalidAuthenticationToken",
                "The access token was revoked.",
            ),
            AuthFailure::Invalid(_) => arm_error(
                StatusCode::UNAUTHORIZED,
                "InvalidAuthenticationToken",
                "The access token is invalid.",
            ),
        },
    }
}
