//! Long-lived API tokens for integrations: created by an admin for a tenant and a role, shown
//! once, stored as a SHA-256 hash, revocable, with the time they were last used.

use chrono::Duration;
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use validator::Validate;

use crate::access::{Principal, Subject};
use crate::auth::{random_secret, secret_hash, AuthError};
use crate::db::schema::{api_tokens, roles};
use crate::db::DbConnection;
use crate::error::{CoreError, CoreResult};
use crate::pagination::{sort_key_text, Page, PageRequest, Sort};
use crate::{keyset, sort_orders, UtcTime};

/// Every API token starts with this, so that it can be told from a JWT at a glance (and found
/// by secret scanners).
pub const TOKEN_PREFIX: &str = "adt_";

/// How stale `last_used_at` may get before a use writes it again: one write a minute at most,
/// however busy the integration.
const LAST_USED_RESOLUTION_SECONDS: i64 = 60;

/// An API token as the API shows it: never its secret.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ApiToken {
    pub id: i64,
    pub tenant_id: i64,
    pub role_id: i64,
    /// The name of the token's role.
    pub role: String,
    pub name: String,
    /// The user who created it (empty once that user is deleted).
    pub created_by: Option<i64>,
    pub created_at: UtcTime,
    /// When it stops working; never when empty.
    pub expires_at: Option<UtcTime>,
    pub last_used_at: Option<UtcTime>,
    /// When it was revoked; revoked tokens stay listed for the record.
    pub revoked_at: Option<UtcTime>,
}

/// A new token with its secret, returned once by the create call.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct CreatedApiToken {
    #[serde(flatten)]
    pub token: ApiToken,
    /// The bearer secret. It is shown only in this response; store it now.
    pub secret: String,
}

/// What to create.
#[derive(Debug, Clone, Serialize, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ApiTokenInput {
    /// What the token is for, e.g. `SIEM export`.
    #[validate(length(min = 1, max = 200))]
    #[schema(min_length = 1, max_length = 200, example = "SIEM export")]
    pub name: String,
    /// The role whose permissions the token carries; at most the creator's own.
    pub role_id: i64,
    /// Days until the token expires (1 to 3650); never when omitted.
    #[serde(default)]
    #[validate(range(min = 1, max = 3650))]
    #[schema(minimum = 1, maximum = 3650)]
    pub expires_in_days: Option<u32>,
}

sort_orders! {
    ApiTokenSortField { CreatedAt => "created_at", Name => "name" } default CreatedAt true
}

/// Filters of the token list.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ApiTokenFilter {
    /// Only tokens that are (true) or are not (false) revoked.
    pub revoked: Option<bool>,
}

type Row = (
    (i64, i64, i64, String, String, Option<i64>),
    (UtcTime, Option<UtcTime>, Option<UtcTime>, Option<UtcTime>),
);

#[allow(clippy::type_complexity)]
fn columns() -> (
    (
        api_tokens::id,
        api_tokens::tenant_id,
        api_tokens::role_id,
        roles::name,
        api_tokens::name,
        api_tokens::created_by,
    ),
    (
        api_tokens::created_at,
        api_tokens::expires_at,
        api_tokens::last_used_at,
        api_tokens::revoked_at,
    ),
) {
    (
        (
            api_tokens::id,
            api_tokens::tenant_id,
            api_tokens::role_id,
            roles::name,
            api_tokens::name,
            api_tokens::created_by,
        ),
        (
            api_tokens::created_at,
            api_tokens::expires_at,
            api_tokens::last_used_at,
            api_tokens::revoked_at,
        ),
    )
}

fn from_row(row: Row) -> ApiToken {
    let ((id, tenant_id, role_id, role, name, created_by), times) = row;
    let (created_at, expires_at, last_used_at, revoked_at) = times;
    ApiToken {
        id,
        tenant_id,
        role_id,
        role,
        name,
        created_by,
        created_at,
        expires_at,
        last_used_at,
        revoked_at,
    }
}

/// Creates a token in `tenant_id` for `creator`, who may not give it more than their own role.
pub fn create(
    conn: &mut DbConnection,
    tenant_id: i64,
    creator: &Principal,
    input: &ApiTokenInput,
    now: UtcTime,
) -> CoreResult<CreatedApiToken> {
    input.validate()?;
    conn.write_transaction(|conn| {
        if !crate::roles::exists(conn, input.role_id)? {
            return Err(CoreError::invalid(
                "role_id",
                "exists",
                format!("there is no role {}", input.role_id),
            ));
        }
        crate::access::ensure_may_grant(conn, creator, input.role_id)?;
        let secret = format!("{TOKEN_PREFIX}{}", random_secret(32));
        let expires_at = input
            .expires_in_days
            .map(|days| UtcTime::new(now.get() + Duration::days(i64::from(days))));
        let id: i64 = diesel::insert_into(api_tokens::table)
            .values((
                api_tokens::tenant_id.eq(tenant_id),
                api_tokens::role_id.eq(input.role_id),
                api_tokens::name.eq(&input.name),
                api_tokens::token_hash.eq(secret_hash(&secret)),
                api_tokens::created_by.eq(creator.user_id()),
                api_tokens::created_at.eq(now),
                api_tokens::expires_at.eq(expires_at),
            ))
            .returning(api_tokens::id)
            .get_result(conn)?;
        Ok(CreatedApiToken {
            token: get(conn, tenant_id, id)?,
            secret,
        })
    })
}

pub fn get(conn: &mut DbConnection, tenant_id: i64, id: i64) -> CoreResult<ApiToken> {
    api_tokens::table
        .inner_join(roles::table)
        .filter(api_tokens::tenant_id.eq(tenant_id))
        .filter(api_tokens::id.eq(id))
        .select(columns())
        .first::<Row>(conn)
        .optional()?
        .map(from_row)
        .ok_or_else(|| CoreError::not_found("api token", id))
}

/// Revokes a token; revoking a revoked token changes nothing.
pub fn revoke(conn: &mut DbConnection, tenant_id: i64, id: i64, now: UtcTime) -> CoreResult<()> {
    get(conn, tenant_id, id)?;
    diesel::update(
        api_tokens::table
            .filter(api_tokens::id.eq(id))
            .filter(api_tokens::revoked_at.is_null()),
    )
    .set(api_tokens::revoked_at.eq(Some(now)))
    .execute(conn)?;
    Ok(())
}

pub fn list(
    conn: &mut DbConnection,
    tenant_id: i64,
    filter: &ApiTokenFilter,
    sort: Sort<ApiTokenSortField>,
    page: &PageRequest,
) -> CoreResult<Page<ApiToken>> {
    let limit = page.limit()?;
    let sort_text = sort_key_text(sort.field.field(), sort.descending);
    let mut query = api_tokens::table
        .inner_join(roles::table)
        .filter(api_tokens::tenant_id.eq(tenant_id))
        .select(columns())
        .into_boxed();
    match filter.revoked {
        Some(true) => query = query.filter(api_tokens::revoked_at.is_not_null()),
        Some(false) => query = query.filter(api_tokens::revoked_at.is_null()),
        None => {}
    }
    let query = match sort.field {
        ApiTokenSortField::CreatedAt => keyset!(
            query,
            api_tokens::created_at,
            api_tokens::id,
            sort.descending,
            page.after::<UtcTime>(&sort_text)?
        ),
        ApiTokenSortField::Name => keyset!(
            query,
            api_tokens::name,
            api_tokens::id,
            sort.descending,
            page.after::<String>(&sort_text)?
        ),
    };
    let rows: Vec<Row> = query.limit(limit + 1).load(conn)?;
    let tokens: Vec<ApiToken> = rows.into_iter().map(from_row).collect();
    Ok(Page::from_rows(tokens, limit, &sort_text, |t| {
        match sort.field {
            ApiTokenSortField::CreatedAt => (serde_json::json!(t.created_at), t.id),
            ApiTokenSortField::Name => (serde_json::json!(t.name), t.id),
        }
    }))
}

/// The principal a bearer API token stands for; revoked, expired and unknown tokens are all
/// the same 401.
pub fn authenticate(conn: &mut DbConnection, secret: &str, now: UtcTime) -> CoreResult<Principal> {
    let refused = || CoreError::Auth(AuthError::InvalidAccessToken);
    type Found = (
        i64,
        i64,
        i64,
        String,
        Option<UtcTime>,
        Option<UtcTime>,
        Option<UtcTime>,
    );
    let found: Option<Found> = api_tokens::table
        .filter(api_tokens::token_hash.eq(secret_hash(secret)))
        .select((
            api_tokens::id,
            api_tokens::tenant_id,
            api_tokens::role_id,
            api_tokens::name,
            api_tokens::expires_at,
            api_tokens::revoked_at,
            api_tokens::last_used_at,
        ))
        .first(conn)
        .optional()?;
    let Some((id, tenant_id, role_id, name, expires_at, revoked_at, last_used_at)) = found else {
        return Err(refused());
    };
    if revoked_at.is_some() || expires_at.is_some_and(|at| at <= now) {
        return Err(refused());
    }
    let stale = last_used_at
        .is_none_or(|at| now.get() - at.get() >= Duration::seconds(LAST_USED_RESOLUTION_SECONDS));
    if stale {
        diesel::update(api_tokens::table.find(id))
            .set(api_tokens::last_used_at.eq(Some(now)))
            .execute(conn)?;
    }
    let role = crate::roles::get(conn, role_id)?;
    Ok(Principal::from_role(
        Subject::ApiToken { id, name },
        tenant_id,
        &role,
    ))
}
