//! Sign-in with a username (or e-mail) and password, and the rotating refresh tokens that keep
//! a session alive. Refresh tokens are stored as hashes; each sign-in starts a family, each
//! refresh replaces the token, and presenting a replaced token again (a stolen copy, or a
//! replay) revokes the whole family.

use std::sync::OnceLock;

use chrono::Duration;
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{random_secret, secret_hash, verify_password, AuthError, JwtKeys};
use crate::db::schema::{refresh_tokens, users};
use crate::db::{fold, fold_text, DbConnection};
use crate::error::{CoreError, CoreResult};
use crate::users::{self as user_repo, User};
use crate::UtcTime;

/// Lifetimes of the two tokens.
#[derive(Debug, Clone, Copy)]
pub struct SessionPolicy {
    pub access_ttl_seconds: i64,
    pub refresh_ttl_seconds: i64,
}

impl Default for SessionPolicy {
    fn default() -> Self {
        Self {
            access_ttl_seconds: 15 * 60,
            refresh_ttl_seconds: 30 * 24 * 3600,
        }
    }
}

/// A signed-in session as the client receives it.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Session {
    pub access_token: String,
    /// Always `Bearer`.
    pub token_type: String,
    /// Seconds until the access token expires.
    pub expires_in: i64,
    /// Single use: exchange it at `/auth/refresh` for a new pair.
    pub refresh_token: String,
}

/// Runs a hash verification even when there is no user, so that the response time does not
/// tell whether a username exists.
fn dummy_hash() -> &'static str {
    static HASH: OnceLock<String> = OnceLock::new();
    HASH.get_or_init(|| {
        user_repo::hash_password(&random_secret(16)).expect("hashing a random password works")
    })
}

fn issue(
    conn: &mut DbConnection,
    keys: &JwtKeys,
    policy: &SessionPolicy,
    user: &User,
    family_id: &str,
    now: UtcTime,
) -> CoreResult<Session> {
    let refresh_token = random_secret(32);
    diesel::insert_into(refresh_tokens::table)
        .values((
            refresh_tokens::user_id.eq(user.id),
            refresh_tokens::family_id.eq(family_id),
            refresh_tokens::token_hash.eq(secret_hash(&refresh_token)),
            refresh_tokens::created_at.eq(now),
            refresh_tokens::expires_at.eq(UtcTime::new(
                now.get() + Duration::seconds(policy.refresh_ttl_seconds),
            )),
        ))
        .execute(conn)?;
    Ok(Session {
        access_token: keys.issue(
            user.id,
            user.tenant_id,
            &user.role,
            now.get().timestamp(),
            policy.access_ttl_seconds,
        ),
        token_type: "Bearer".into(),
        expires_in: policy.access_ttl_seconds,
        refresh_token,
    })
}

/// Starts a new session (a new refresh-token family) for a user who has already proved who
/// they are some other way, such as Microsoft sign-in.
pub fn start_session(
    conn: &mut DbConnection,
    keys: &JwtKeys,
    policy: &SessionPolicy,
    user: &User,
    now: UtcTime,
) -> CoreResult<Session> {
    issue(conn, keys, policy, user, &random_secret(16), now)
}

/// Signs a user in by username or e-mail (case-insensitive) and password.
pub fn login(
    conn: &mut DbConnection,
    keys: &JwtKeys,
    policy: &SessionPolicy,
    login: &str,
    password: &str,
    now: UtcTime,
) -> CoreResult<(User, Session)> {
    let folded = fold_text(login.trim());
    let found: Option<(i64, i64, Option<String>, bool)> = users::table
        .filter(
            fold(users::username)
                .eq(&folded)
                .or(fold(users::email).eq(&folded)),
        )
        .select((
            users::id,
            users::tenant_id,
            users::password_hash,
            users::active,
        ))
        .first(conn)
        .optional()?;
    let Some((user_id, tenant_id, Some(hash), active)) = found else {
        verify_password(dummy_hash(), password);
        return Err(CoreError::Auth(AuthError::InvalidCredentials));
    };
    if !verify_password(&hash, password) {
        return Err(CoreError::Auth(AuthError::InvalidCredentials));
    }
    if !active {
        return Err(CoreError::Auth(AuthError::Inactive));
    }
    conn.write_transaction(|conn| {
        diesel::update(users::table.find(user_id))
            .set(users::last_login.eq(Some(now)))
            .execute(conn)?;
        let user = user_repo::get(conn, tenant_id, user_id)?;
        let session = start_session(conn, keys, policy, &user, now)?;
        Ok((user, session))
    })
}

enum RefreshOutcome {
    Renewed(Box<(User, Session)>),
    Refused(AuthError),
}

/// Exchanges a refresh token for a new pair. A token used twice revokes its family.
pub fn refresh(
    conn: &mut DbConnection,
    keys: &JwtKeys,
    policy: &SessionPolicy,
    token: &str,
    now: UtcTime,
) -> CoreResult<(User, Session)> {
    let hash = secret_hash(token);
    let outcome = conn.write_transaction(|conn| -> CoreResult<RefreshOutcome> {
        type Row = (i64, i64, String, UtcTime, Option<UtcTime>, Option<UtcTime>);
        let row: Option<Row> = refresh_tokens::table
            .filter(refresh_tokens::token_hash.eq(&hash))
            .select((
                refresh_tokens::id,
                refresh_tokens::user_id,
                refresh_tokens::family_id,
                refresh_tokens::expires_at,
                refresh_tokens::rotated_at,
                refresh_tokens::revoked_at,
            ))
            .first(conn)
            .optional()?;
        let Some((id, user_id, family_id, expires_at, rotated_at, revoked_at)) = row else {
            return Ok(RefreshOutcome::Refused(AuthError::InvalidRefreshToken));
        };
        if revoked_at.is_some() || expires_at <= now {
            return Ok(RefreshOutcome::Refused(AuthError::InvalidRefreshToken));
        }
        // Only one caller can replace a token: the update names the token as still current.
        let replaced = diesel::update(
            refresh_tokens::table.filter(refresh_tokens::id.eq(id)).filter(refresh_tokens::rotated_at.is_null()),
        )
        .set(refresh_tokens::rotated_at.eq(Some(now)))
        .execute(conn)?;
        if rotated_at.is_some() || replaced == 0 {
            revoke_family(conn, &family_id, now)?;
            log::warn!("a replaced refresh token was presented again: session family revoked (user {user_id})");
            return Ok(RefreshOutcome::Refused(AuthError::InvalidRefreshToken));
        }
        let (tenant_id, active): (i64, bool) =
            users::table.find(user_id).select((users::tenant_id, users::active)).first(conn)?;
        if !active {
            revoke_family(conn, &family_id, now)?;
            return Ok(RefreshOutcome::Refused(AuthError::Inactive));
        }
        let user = user_repo::get(conn, tenant_id, user_id)?;
        let session = issue(conn, keys, policy, &user, &family_id, now)?;
        Ok(RefreshOutcome::Renewed(Box::new((user, session))))
    })?;
    match outcome {
        RefreshOutcome::Renewed(renewed) => Ok(*renewed),
        RefreshOutcome::Refused(reason) => Err(CoreError::Auth(reason)),
    }
}

fn revoke_family(conn: &mut DbConnection, family_id: &str, now: UtcTime) -> CoreResult<()> {
    diesel::update(
        refresh_tokens::table
            .filter(refresh_tokens::family_id.eq(family_id))
            .filter(refresh_tokens::revoked_at.is_null()),
    )
    .set(refresh_tokens::revoked_at.eq(Some(now)))
    .execute(conn)?;
    Ok(())
}

/// Ends the session the refresh token belongs to (its whole family). Unknown tokens are
/// ignored: signing out twice is not an error.
pub fn logout(conn: &mut DbConnection, token: &str, now: UtcTime) -> CoreResult<()> {
    let family: Option<String> = refresh_tokens::table
        .filter(refresh_tokens::token_hash.eq(secret_hash(token)))
        .select(refresh_tokens::family_id)
        .first(conn)
        .optional()?;
    if let Some(family_id) = family {
        revoke_family(conn, &family_id, now)?;
    }
    Ok(())
}

/// The user an access token names, if they still exist and are active.
pub fn current_user(conn: &mut DbConnection, tenant_id: i64, user_id: i64) -> CoreResult<User> {
    match user_repo::get(conn, tenant_id, user_id) {
        Ok(user) if user.active => Ok(user),
        Ok(_) => Err(CoreError::Auth(AuthError::Inactive)),
        Err(CoreError::NotFound { .. }) => Err(CoreError::Auth(AuthError::InvalidAccessToken)),
        Err(other) => Err(other),
    }
}
