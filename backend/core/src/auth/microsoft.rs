//! Microsoft sign-in (OpenID Connect), the parts that need no HTTP: sign-ins in progress, the
//! rule that links a Microsoft account to a user (or provisions one), the encrypted Microsoft
//! tokens, and the one-time hand-off code that turns a completed sign-in into a session.
//!
//! The API does the OpenID Connect protocol (discovery, code exchange, ID token validation) and
//! calls these functions with what it has verified.

use chrono::Duration;
use diesel::prelude::*;

use super::sessions::{self, Session, SessionPolicy};
use super::{random_secret, secret_hash, AuthError, JwtKeys};
use crate::crypto::{KeyRing, Purpose};
use crate::db::schema::{microsoft_handoffs, microsoft_logins, users};
use crate::db::{fold, fold_text, DbConnection};
use crate::error::{CoreError, CoreResult};
use crate::tenants::{self, Tenant};
use crate::types::AzureTenantId;
use crate::users::{self as user_repo, User, UserInput};
use crate::{roles, UtcTime};

/// How long a sign-in may take, from the redirect to Microsoft until the callback.
pub const LOGIN_TTL_SECONDS: i64 = 10 * 60;
/// How long the single-page app has to exchange its hand-off code for a session.
pub const HANDOFF_TTL_SECONDS: i64 = 60;
/// The role of users created by their first Microsoft sign-in.
pub const PROVISIONED_ROLE: &str = "viewer";

fn later(now: UtcTime, seconds: i64) -> UtcTime {
    UtcTime::new(now.get() + Duration::seconds(seconds))
}

/// The tenant a sign-in is for, by our id (`42`) or its Entra tenant id (a GUID).
pub fn find_tenant(conn: &mut DbConnection, reference: &str) -> CoreResult<Tenant> {
    let reference = reference.trim();
    if let Ok(id) = reference.parse::<i64>() {
        return tenants::get(conn, id);
    }
    let not_found = || CoreError::not_found("tenant", reference);
    let azure_id = AzureTenantId::parse(reference).map_err(|_| not_found())?;
    tenants::find_by_azure_id(conn, &azure_id)?.ok_or_else(not_found)
}

/// The secrets of a sign-in that is starting. `state` and `nonce` are kept as hashes, the PKCE
/// verifier encrypted.
pub struct NewLogin<'a> {
    pub state: &'a str,
    pub nonce: &'a str,
    pub pkce_verifier: &'a str,
}

/// Records a sign-in in progress for the tenant; it can be completed once, within
/// [`LOGIN_TTL_SECONDS`]. Expired records of earlier sign-ins are removed on the way.
pub fn begin_login(
    conn: &mut DbConnection,
    ring: &KeyRing,
    tenant_id: i64,
    login: &NewLogin<'_>,
    now: UtcTime,
) -> CoreResult<()> {
    diesel::delete(microsoft_logins::table.filter(microsoft_logins::expires_at.le(now)))
        .execute(conn)?;
    diesel::insert_into(microsoft_logins::table)
        .values((
            microsoft_logins::tenant_id.eq(tenant_id),
            microsoft_logins::state_hash.eq(secret_hash(login.state)),
            microsoft_logins::nonce_hash.eq(secret_hash(login.nonce)),
            microsoft_logins::pkce_verifier
                .eq(ring.encrypt(Purpose::PKCE_VERIFIER, login.pkce_verifier)),
            microsoft_logins::created_at.eq(now),
            microsoft_logins::expires_at.eq(later(now, LOGIN_TTL_SECONDS)),
        ))
        .execute(conn)?;
    Ok(())
}

/// A sign-in in progress, as the callback needs it.
pub struct PendingLogin {
    /// The tenant the sign-in started for.
    pub tenant: Tenant,
    /// The PKCE verifier to send with the authorization code.
    pub pkce_verifier: String,
    nonce_hash: String,
}

impl std::fmt::Debug for PendingLogin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PendingLogin")
            .field("tenant", &self.tenant.id)
            .finish_non_exhaustive()
    }
}

impl PendingLogin {
    /// Whether `nonce` (from the ID token) is the one this sign-in sent.
    pub fn nonce_matches(&self, nonce: &str) -> bool {
        secret_hash(nonce) == self.nonce_hash
    }
}

/// Takes the sign-in that `state` names, once: a second callback with the same state, an
/// unknown state or one older than [`LOGIN_TTL_SECONDS`] is refused with
/// [`AuthError::UnknownSignIn`].
pub fn take_login(
    conn: &mut DbConnection,
    ring: &KeyRing,
    state: &str,
    now: UtcTime,
) -> CoreResult<PendingLogin> {
    // Deleting the row and reading it in one statement lets one callback only have it.
    let taken: Option<(i64, String, String, UtcTime)> = diesel::delete(
        microsoft_logins::table.filter(microsoft_logins::state_hash.eq(secret_hash(state))),
    )
    .returning((
        microsoft_logins::tenant_id,
        microsoft_logins::nonce_hash,
        microsoft_logins::pkce_verifier,
        microsoft_logins::expires_at,
    ))
    .get_result(conn)
    .optional()?;
    let Some((tenant_id, nonce_hash, sealed_verifier, expires_at)) = taken else {
        return Err(AuthError::UnknownSignIn.into());
    };
    if expires_at <= now {
        return Err(AuthError::UnknownSignIn.into());
    }
    let pkce_verifier = ring
        .decrypt(Purpose::PKCE_VERIFIER, &sealed_verifier)
        .map_err(|e| CoreError::CorruptData(format!("microsoft_logins.pkce_verifier: {e}")))?;
    Ok(PendingLogin {
        tenant: tenants::get(conn, tenant_id)?,
        pkce_verifier,
        nonce_hash,
    })
}

/// Who Microsoft says signed in, from a validated ID token of the sign-in's tenant.
#[derive(Debug, Clone, Default)]
pub struct MicrosoftIdentity {
    /// The `oid` claim: the user's object id in the tenant.
    pub object_id: String,
    /// The `email` claim, when the account has one.
    pub email: Option<String>,
    /// The `preferred_username` claim (usually the UPN).
    pub preferred_username: Option<String>,
    pub given_name: Option<String>,
    pub family_name: Option<String>,
}

impl MicrosoftIdentity {
    /// The e-mail addresses the token names, `email` first, each once (case-insensitively).
    fn addresses(&self) -> Vec<String> {
        let mut found: Vec<String> = Vec::new();
        for candidate in [&self.email, &self.preferred_username]
            .into_iter()
            .flatten()
        {
            let candidate = candidate.trim();
            if candidate.contains('@')
                && !found.iter().any(|f| fold_text(f) == fold_text(candidate))
            {
                found.push(candidate.to_owned());
            }
        }
        found
    }
}

/// The Microsoft tokens of a sign-in, stored encrypted on the user.
pub struct MicrosoftTokens {
    pub access_token: String,
    /// Absent when Microsoft issued none; the stored one is then kept.
    pub refresh_token: Option<String>,
    /// When the access token expires.
    pub expires_at: Option<UtcTime>,
}

impl std::fmt::Debug for MicrosoftTokens {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MicrosoftTokens")
            .field("expires_at", &self.expires_at)
            .finish_non_exhaustive()
    }
}

/// How the Microsoft account found its user.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Linked {
    /// The user was already linked to this account (`microsoft_id` = `oid`).
    ByObjectId,
    /// A user of the tenant with the same e-mail address, not yet linked, was linked now.
    ByEmail,
    /// No user matched: a new one was created with the `viewer` role.
    Provisioned,
}

impl Linked {
    pub fn as_str(self) -> &'static str {
        match self {
            Linked::ByObjectId => "linked account",
            Linked::ByEmail => "linked now by e-mail address",
            Linked::Provisioned => "provisioned",
        }
    }
}

/// A completed Microsoft sign-in: the user, how they were found, and the one-time code the
/// single-page app exchanges for a session (see [`redeem_handoff`]).
pub struct SignedIn {
    pub user: User,
    pub linked: Linked,
    pub handoff: String,
}

/// Finds (or creates) the user of `tenant_id` that a Microsoft account signs in as, stores its
/// Microsoft tokens encrypted, records the sign-in and issues a hand-off code, all in one
/// transaction:
///
/// 1. the user whose `microsoft_id` is the account's `oid`;
/// 2. else a user of the tenant with the same e-mail address (`email` or `preferred_username`,
///    case-insensitive) and no Microsoft account yet, which is linked now;
/// 3. else a new user with the `viewer` role and no password.
///
/// Inactive users are refused. The caller has checked that the ID token was issued by the
/// tenant's own Entra tenant; that is what makes the e-mail match safe (the `email` claim is
/// not verified by Microsoft, so it is never matched across tenants).
pub fn complete_sign_in(
    conn: &mut DbConnection,
    ring: &KeyRing,
    tenant_id: i64,
    identity: &MicrosoftIdentity,
    tokens: &MicrosoftTokens,
    now: UtcTime,
) -> CoreResult<SignedIn> {
    let object_id = AzureTenantId::parse(&identity.object_id)
        .map_err(|_| AuthError::Microsoft("the ID token has no valid oid claim".into()))?
        .into_string();
    conn.write_transaction(|conn| {
        let (user_id, linked) = link_or_provision(conn, tenant_id, &object_id, identity, now)?;
        let user = user_repo::get(conn, tenant_id, user_id)?;
        if !user.active {
            return Err(AuthError::Inactive.into());
        }
        let target = users::table.find(user_id);
        diesel::update(target)
            .set((
                users::access_token
                    .eq(ring.encrypt(Purpose::USER_ACCESS_TOKEN, &tokens.access_token)),
                users::token_expiry.eq(tokens.expires_at),
                users::last_login.eq(Some(now)),
            ))
            .execute(conn)?;
        if let Some(refresh_token) = &tokens.refresh_token {
            diesel::update(target)
                .set(
                    users::refresh_token
                        .eq(ring.encrypt(Purpose::USER_REFRESH_TOKEN, refresh_token)),
                )
                .execute(conn)?;
        }
        let handoff = create_handoff(conn, user_id, now)?;
        Ok(SignedIn {
            user: user_repo::get(conn, tenant_id, user_id)?,
            linked,
            handoff,
        })
    })
}

fn link_or_provision(
    conn: &mut DbConnection,
    tenant_id: i64,
    object_id: &str,
    identity: &MicrosoftIdentity,
    now: UtcTime,
) -> CoreResult<(i64, Linked)> {
    let by_object_id: Option<(i64, i64)> = users::table
        .filter(users::microsoft_id.eq(object_id))
        .select((users::id, users::tenant_id))
        .first(conn)
        .optional()?;
    if let Some((user_id, owner)) = by_object_id {
        if owner != tenant_id {
            return Err(CoreError::Conflict(
                "this Microsoft account is linked to a user of another tenant".into(),
            ));
        }
        return Ok((user_id, Linked::ByObjectId));
    }
    let addresses = identity.addresses();
    let folded: Vec<String> = addresses.iter().map(|a| fold_text(a)).collect();
    if !folded.is_empty() {
        let by_email: Option<(i64, Option<String>)> = users::table
            .filter(users::tenant_id.eq(tenant_id))
            .filter(fold(users::email).eq_any(&folded))
            .select((users::id, users::microsoft_id))
            .first(conn)
            .optional()?;
        match by_email {
            Some((user_id, None)) => {
                diesel::update(users::table.find(user_id))
                    .set(users::microsoft_id.eq(Some(object_id)))
                    .execute(conn)?;
                return Ok((user_id, Linked::ByEmail));
            }
            Some((_, Some(_))) => {
                return Err(CoreError::Conflict(
                    "the user with this e-mail address is linked to another Microsoft account"
                        .into(),
                ))
            }
            None => {}
        }
    }
    let Some(email) = addresses.first() else {
        return Err(AuthError::Microsoft(
            "the ID token names no e-mail address (email or preferred_username), so no user can be created"
                .into(),
        )
        .into());
    };
    let role = roles::find_by_name(conn, PROVISIONED_ROLE)?.ok_or_else(|| {
        CoreError::Internal(format!("the built-in role {PROVISIONED_ROLE} is missing"))
    })?;
    let username = free_username(conn, identity, email, object_id)?;
    let input = UserInput {
        username,
        email: email.clone(),
        first_name: identity.given_name.clone().filter(|n| !n.trim().is_empty()),
        last_name: identity
            .family_name
            .clone()
            .filter(|n| !n.trim().is_empty()),
        role_id: role.id,
        active: true,
        microsoft_id: Some(object_id.to_owned()),
        password: None,
    };
    let user = user_repo::create(conn, tenant_id, &input, now)?;
    Ok((user.id, Linked::Provisioned))
}

/// A username for a provisioned user: `preferred_username` (else the e-mail address) in the
/// characters usernames allow, or with a part of the object id appended when it is taken.
fn free_username(
    conn: &mut DbConnection,
    identity: &MicrosoftIdentity,
    email: &str,
    object_id: &str,
) -> CoreResult<String> {
    let source = identity
        .preferred_username
        .as_deref()
        .filter(|n| !n.trim().is_empty())
        .unwrap_or(email);
    let mut base: String = source
        .trim()
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | '@') {
                c
            } else {
                '_'
            }
        })
        .take(64)
        .collect();
    if base.len() < 3 {
        base = format!("ms-{}", &object_id[..8]);
    }
    let suffixed = {
        let mut stem: String = base.chars().take(64 - 9).collect();
        stem.push('-');
        stem.push_str(&object_id[..8]);
        stem
    };
    for candidate in [base, suffixed] {
        let taken: Option<i64> = users::table
            .filter(fold(users::username).eq(fold_text(&candidate)))
            .select(users::id)
            .first(conn)
            .optional()?;
        if taken.is_none() {
            return Ok(candidate);
        }
    }
    Err(CoreError::Conflict(
        "a user with this username already exists".into(),
    ))
}

fn create_handoff(conn: &mut DbConnection, user_id: i64, now: UtcTime) -> CoreResult<String> {
    diesel::delete(microsoft_handoffs::table.filter(microsoft_handoffs::expires_at.le(now)))
        .execute(conn)?;
    let code = random_secret(32);
    diesel::insert_into(microsoft_handoffs::table)
        .values((
            microsoft_handoffs::user_id.eq(user_id),
            microsoft_handoffs::code_hash.eq(secret_hash(&code)),
            microsoft_handoffs::created_at.eq(now),
            microsoft_handoffs::expires_at.eq(later(now, HANDOFF_TTL_SECONDS)),
        ))
        .execute(conn)?;
    Ok(code)
}

/// Exchanges a hand-off code for a session, once and within [`HANDOFF_TTL_SECONDS`]. A user
/// deactivated in between is refused.
pub fn redeem_handoff(
    conn: &mut DbConnection,
    keys: &JwtKeys,
    policy: &SessionPolicy,
    code: &str,
    now: UtcTime,
) -> CoreResult<(User, Session)> {
    conn.write_transaction(|conn| {
        let taken: Option<(i64, UtcTime)> = diesel::delete(
            microsoft_handoffs::table
                .filter(microsoft_handoffs::code_hash.eq(secret_hash(code.trim()))),
        )
        .returning((microsoft_handoffs::user_id, microsoft_handoffs::expires_at))
        .get_result(conn)
        .optional()?;
        let Some(user_id) = taken
            .filter(|(_, expires_at)| *expires_at > now)
            .map(|(user_id, _)| user_id)
        else {
            return Err(AuthError::InvalidHandoff.into());
        };
        let tenant_id: i64 = users::table
            .find(user_id)
            .select(users::tenant_id)
            .first(conn)?;
        let user = sessions::current_user(conn, tenant_id, user_id)?;
        let session = sessions::start_session(conn, keys, policy, &user, now)?;
        Ok((user, session))
    })
}
