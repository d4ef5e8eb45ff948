//! `/api/v1/auth/microsoft`: sign-in with a Microsoft (Entra) account of the tenant, by OpenID
//! Connect (authorization code + PKCE) against the tenant's own authority.
//!
//! 1. The single-page app sends the browser to `GET /auth/microsoft/login?tenant=…`, which
//!    redirects to Microsoft.
//! 2. Microsoft sends it back to `GET /auth/microsoft/callback`, which validates everything,
//!    links or provisions the user and redirects to `{DRIFT_PUBLIC_URL}/auth/microsoft/done`
//!    with a one-time hand-off code in the URL fragment (`#handoff=…`). The fragment never
//!    reaches a server, and no token ever appears in a URL.
//! 3. The app posts the code to `POST /auth/microsoft/session` and receives the same session
//!    as a local sign-in.
//!
//! The callback is a page a browser visits, so its failures (Microsoft's own errors such as
//! `consent_required`, a replayed or expired state, a refused account) also go back to the app,
//! as `{DRIFT_PUBLIC_URL}/auth/microsoft/done#error=<message>`; only a server without Microsoft
//! sign-in answers with a problem document (404).

use actix_web::http::header;
use actix_web::{get, post, web, HttpRequest, HttpResponse};
use drift_core::auth::microsoft::{self as core, NewLogin};
use drift_core::auth::{AuthError, Session};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};

use crate::extract::{parse_query, JsonBody, QueryParams};
use crate::oidc::MicrosoftSignIn;
use crate::problem::{ApiError, ApiResult, ProblemKind};
use crate::responses::{MicrosoftCallbackErrors, MicrosoftLoginErrors, MicrosoftSessionErrors};
use crate::state::AppState;

pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(login).service(callback).service(session);
}

/// Microsoft sign-in, or 404 when this server has none configured.
fn configured(state: &AppState) -> ApiResult<&MicrosoftSignIn> {
    state.auth.microsoft.as_ref().ok_or_else(|| {
        ApiError::Problem(
            ProblemKind::NotFound,
            "Microsoft sign-in is not configured on this server".into(),
        )
    })
}

/// The query of the sign-in start.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct LoginQuery {
    /// The tenant to sign in to: its id, or its Entra tenant id (a GUID).
    #[param(example = "72f988bf-86f1-41af-91ab-2d7cd011db47")]
    pub tenant: String,
    /// Passed to Microsoft as `login_hint` to pre-fill the account, such as the user's UPN.
    #[param(example = "adele.vance@contoso.com")]
    pub login_hint: Option<String>,
}

/// Start a Microsoft sign-in
///
/// Redirects the browser to the tenant's Microsoft authority (`/oauth2/v2.0/authorize` with
/// PKCE S256, state and nonce; scopes `openid profile email offline_access`). The sign-in must
/// complete within ten minutes.
#[utoipa::path(
    tag = "auth",
    security(()),
    params(LoginQuery),
    responses(
        (status = 302, description = "To Microsoft's authorize endpoint",
            headers(("Location" = String, description = "The authorization request"))),
        MicrosoftLoginErrors
    )
)]
#[get("/auth/microsoft/login")]
async fn login(
    state: web::Data<AppState>,
    query: QueryParams<LoginQuery>,
) -> ApiResult<HttpResponse> {
    let microsoft = configured(&state)?;
    let LoginQuery { tenant, login_hint } = query.0;
    let tenant = state
        .db(move |conn| core::find_tenant(conn, &tenant))
        .await?;
    let authorization = microsoft
        .authorization(&tenant.azure_tenant_id, login_hint.as_deref())
        .await?;
    let (auth, now) = (state.auth.clone(), state.now());
    let url = authorization.url.clone();
    state
        .db(move |conn| {
            let login = NewLogin {
                state: &authorization.state,
                nonce: &authorization.nonce,
                pkce_verifier: &authorization.pkce_verifier,
            };
            core::begin_login(conn, &auth.key_ring, tenant.id, &login, now)
        })
        .await?;
    Ok(HttpResponse::Found()
        .insert_header((header::LOCATION, url))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .finish())
}

/// What Microsoft appends to the redirect URI.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CallbackQuery {
    /// The authorization code, on success.
    pub code: Option<String>,
    /// The state of the sign-in, as sent to Microsoft.
    pub state: Option<String>,
    /// Microsoft's error code on failure, such as `consent_required` or `access_denied`.
    pub error: Option<String>,
    /// Microsoft's description of the error (`AADSTS…`).
    pub error_description: Option<String>,
}

/// What a Microsoft error code means for the person signing in.
fn explain_microsoft_error(error: &str, description: Option<&str>) -> String {
    let code: String = error
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '_')
        .take(64)
        .collect();
    let meaning = match code.as_str() {
        "consent_required" => {
            "an administrator of the tenant must first grant this application consent"
        }
        "access_denied" => "the user or an administrator declined the sign-in",
        "login_required" | "interaction_required" => {
            "the user must sign in at Microsoft interactively"
        }
        "invalid_request" | "unauthorized_client" | "unsupported_response_type" => {
            "Microsoft refused the sign-in request; check the app registration"
        }
        "temporarily_unavailable" | "server_error" => {
            "Microsoft's sign-in service failed; try again shortly"
        }
        _ => "Microsoft did not complete the sign-in",
    };
    match description
        .map(crate::oidc::first_line)
        .filter(|d| !d.is_empty())
    {
        Some(description) => format!("{code}: {meaning} ({description})"),
        None => format!("{code}: {meaning}"),
    }
}

/// The audit line of a refused sign-in: the tenant and the Microsoft account when known, and
/// why (no error of this module carries a token).
fn audit_refused(tenant: Option<i64>, account: Option<&str>, err: &ApiError) {
    let tenant = tenant.map_or_else(|| "unknown".to_owned(), |t| t.to_string());
    let account = account
        .map(|oid| format!(", account {oid}"))
        .unwrap_or_default();
    log::info!(target: "audit", "refused Microsoft sign-in (tenant {tenant}{account}): {err}");
}

/// Complete a Microsoft sign-in (the redirect URI of the Entra app)
///
/// Validates the state (single use), redeems the code with the PKCE verifier, validates the ID
/// token (signature, issuer, audience, nonce, expiry, and a `tid` equal to the tenant the
/// sign-in started for), then finds the user by Microsoft object id, else links the tenant's
/// not-yet-linked user with the same e-mail address, else creates a `viewer`. Inactive users
/// are refused. Redirects to `{DRIFT_PUBLIC_URL}/auth/microsoft/done#handoff=<code>`; exchange
/// the code at `POST /api/v1/auth/microsoft/session` within 60 seconds.
///
/// Failures — Microsoft's own errors such as `consent_required`, a missing, unknown, expired
/// or already used state, a refused code or ID token, an account of another tenant, an
/// inactive user — also redirect to the single-page app, as
/// `{DRIFT_PUBLIC_URL}/auth/microsoft/done#error=<message>` with a readable, URL-encoded
/// message, since a person's browser is on this page. Only a server without Microsoft sign-in
/// answers with a problem document (404).
#[utoipa::path(
    tag = "auth",
    security(()),
    params(CallbackQuery),
    responses(
        (status = 302, description = "To the single-page app: signed in, with a one-time hand-off code in the fragment; or refused, with the reason",
            headers(("Location" = String, description = "`{DRIFT_PUBLIC_URL}/auth/microsoft/done#handoff=<code>`, or `{DRIFT_PUBLIC_URL}/auth/microsoft/done#error=<URL-encoded message>`"))),
        MicrosoftCallbackErrors
    )
)]
#[get("/auth/microsoft/callback")]
async fn callback(state: web::Data<AppState>, req: HttpRequest) -> ApiResult<HttpResponse> {
    let microsoft = configured(&state)?;
    let public_url = &microsoft.config().public_url;
    // Parsed here rather than by an extractor, so that a malformed query goes back to the app
    // like every other failure.
    let outcome = match parse_query::<CallbackQuery>(req.query_string()) {
        Ok(query) => complete(&state, microsoft, query).await,
        Err(err) => {
            audit_refused(None, None, &err);
            Err(err)
        }
    };
    let fragment = match outcome {
        Ok(handoff) => format!("handoff={handoff}"),
        // A browser is on this page: send it back to the app with words, not a JSON document.
        Err(err) => form_urlencoded::Serializer::new(String::new())
            .append_pair("error", &err.public_message())
            .finish(),
    };
    Ok(HttpResponse::Found()
        .insert_header((
            header::LOCATION,
            format!("{public_url}/auth/microsoft/done#{fragment}"),
        ))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        // The callback URL holds the authorization code: never send it on as a referrer.
        .insert_header((header::REFERRER_POLICY, "no-referrer"))
        .finish())
}

/// The callback's work: the hand-off code of the signed-in user, or why the sign-in was
/// refused (written to the audit log here).
async fn complete(
    state: &AppState,
    microsoft: &MicrosoftSignIn,
    query: CallbackQuery,
) -> ApiResult<String> {
    let Some(login_state) = query.state.filter(|s| !s.is_empty()) else {
        let err = ApiError::bad_request(
            "the callback has no state parameter; start the sign-in at /api/v1/auth/microsoft/login",
        );
        audit_refused(None, None, &err);
        return Err(err);
    };
    let (auth, now) = (state.auth.clone(), state.now());
    // The sign-in is spent by its first callback, whatever the outcome.
    let pending = state
        .db(move |conn| core::take_login(conn, &auth.key_ring, &login_state, now))
        .await
        .inspect_err(|e| audit_refused(None, None, e))?;
    let tenant_id = pending.tenant.id;
    let mut account: Option<String> = None;
    let outcome = async {
        if let Some(error) = &query.error {
            let reason = explain_microsoft_error(error, query.error_description.as_deref());
            return Err(ApiError::Core(AuthError::Microsoft(reason).into()));
        }
        let Some(code) = query.code.as_deref().filter(|c| !c.is_empty()) else {
            return Err(ApiError::bad_request(
                "the callback has neither a code nor an error parameter",
            ));
        };
        let (identity, tokens) = microsoft.redeem(&pending, code, now).await?;
        account = Some(identity.object_id.clone());
        let auth = state.auth.clone();
        state
            .db(move |conn| {
                core::complete_sign_in(conn, &auth.key_ring, tenant_id, &identity, &tokens, now)
            })
            .await
    }
    .await;
    let signed_in =
        outcome.inspect_err(|e| audit_refused(Some(tenant_id), account.as_deref(), e))?;
    log::info!(
        target: "audit",
        "Microsoft sign-in of user {} (tenant {}): {}",
        signed_in.user.id,
        tenant_id,
        signed_in.linked.as_str()
    );
    Ok(signed_in.handoff)
}

/// The one-time code of a completed Microsoft sign-in.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct HandoffRequest {
    /// The code from the `#handoff=` fragment of the redirect to the single-page app.
    pub handoff: String,
}

/// Start a session from a completed Microsoft sign-in
///
/// Exchanges the hand-off code of the callback's redirect for the same access and refresh
/// tokens as a local sign-in. Each code works once, within 60 seconds.
#[utoipa::path(
    tag = "auth",
    security(()),
    request_body = HandoffRequest,
    responses(
        (status = 200, description = "Signed in", body = Session),
        MicrosoftSessionErrors
    )
)]
#[post("/auth/microsoft/session")]
async fn session(
    state: web::Data<AppState>,
    body: JsonBody<HandoffRequest>,
) -> ApiResult<web::Json<Session>> {
    configured(&state)?;
    let (auth, now) = (state.auth.clone(), state.now());
    let (user, session) = state
        .db(move |conn| core::redeem_handoff(conn, &auth.keys, &auth.policy, &body.0.handoff, now))
        .await
        .inspect_err(|e| log::info!(target: "audit", "refused Microsoft sign-in hand-off: {e}"))?;
    log::info!(
        target: "audit",
        "session started from a Microsoft sign-in for user {} (tenant {})",
        user.id,
        user.tenant_id
    );
    Ok(web::Json(session))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn microsoft_errors_are_explained_and_tidied() {
        assert_eq!(
            explain_microsoft_error(
                "consent_required",
                Some("AADSTS65001: The user or administrator has not consented to use the application. Trace ID: x")
            ),
            "consent_required: an administrator of the tenant must first grant this application consent \
             (AADSTS65001: The user or administrator has not consented to use the application.)"
        );
        assert_eq!(
            explain_microsoft_error("<script>", None),
            "script: Microsoft did not complete the sign-in"
        );
    }
}
