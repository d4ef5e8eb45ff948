//! Users of a tenant: local password and/or Microsoft sign-in, one role each.
//!
//! The stored Microsoft tokens and the password hash never leave this module in a type that can
//! be serialised: [`User`] is the only public view of a row.

use argon2::password_hash::{rand_core::OsRng, PasswordHasher, SaltString};
use argon2::Argon2;
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use validator::Validate;

use crate::db::schema::{roles, users};
use crate::db::{fold, DbConnection};
use crate::error::{conflict_on_unique, CoreError, CoreResult, FieldError};
use crate::pagination::{sort_key_text, Page, PageRequest, Sort};
use crate::types::AzureTenantId;
use crate::{keyset, roles as role_repo, sort_orders, UtcTime};

/// A user as the API shows it: no password hash, no tokens.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct User {
    pub id: i64,
    pub tenant_id: i64,
    pub role_id: i64,
    /// The name of the user's role.
    pub role: String,
    pub username: String,
    pub email: String,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    /// The Entra object id (`oid`) of the linked Microsoft account.
    pub microsoft_id: Option<String>,
    /// Whether the user can sign in with a local password.
    pub has_password: bool,
    /// When the stored Microsoft access token expires.
    pub token_expiry: Option<UtcTime>,
    pub created_at: UtcTime,
    pub last_login: Option<UtcTime>,
    /// Inactive users cannot sign in.
    pub active: bool,
}

/// The columns of a user row that may be shown, plus the role name.
type UserColumns = (
    (
        users::id,
        users::tenant_id,
        users::role_id,
        users::username,
        users::email,
        users::first_name,
        users::last_name,
        users::microsoft_id,
    ),
    (
        diesel::dsl::IsNotNull<users::password_hash>,
        users::token_expiry,
        users::created_at,
        users::last_login,
        users::active,
        roles::name,
    ),
);

fn user_columns() -> UserColumns {
    (
        (
            users::id,
            users::tenant_id,
            users::role_id,
            users::username,
            users::email,
            users::first_name,
            users::last_name,
            users::microsoft_id,
        ),
        (
            users::password_hash.is_not_null(),
            users::token_expiry,
            users::created_at,
            users::last_login,
            users::active,
            roles::name,
        ),
    )
}

type UserRow = (
    (
        i64,
        i64,
        i64,
        String,
        String,
        Option<String>,
        Option<String>,
        Option<String>,
    ),
    (
        bool,
        Option<UtcTime>,
        UtcTime,
        Option<UtcTime>,
        bool,
        String,
    ),
);

fn from_row(row: UserRow) -> User {
    let ((id, tenant_id, role_id, username, email, first_name, last_name, microsoft_id), rest) =
        row;
    let (has_password, token_expiry, created_at, last_login, active, role) = rest;
    User {
        id,
        tenant_id,
        role_id,
        role,
        username,
        email,
        first_name,
        last_name,
        microsoft_id,
        has_password,
        token_expiry,
        created_at,
        last_login,
        active,
    }
}

/// The shortest password accepted.
pub const MIN_PASSWORD_LENGTH: usize = 12;
/// The longest password accepted (hashing cost grows with length).
pub const MAX_PASSWORD_LENGTH: usize = 128;

fn validate_username(name: &str) -> Result<(), validator::ValidationError> {
    if name
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | '@'))
    {
        Ok(())
    } else {
        let mut err = validator::ValidationError::new("pattern");
        err.message = Some("may hold only letters, digits and . _ - @".into());
        Err(err)
    }
}

fn validate_microsoft_id(id: &str) -> Result<(), validator::ValidationError> {
    AzureTenantId::parse(id).map(|_| ()).map_err(|_| {
        let mut err = validator::ValidationError::new("guid");
        err.message = Some("must be the Entra object id (a GUID)".into());
        err
    })
}

fn default_true() -> bool {
    true
}

/// The writable fields of a user (create and full replace).
#[derive(Debug, Clone, Serialize, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UserInput {
    /// Unique across the platform, case-insensitive.
    #[validate(length(min = 3, max = 64), custom(function = "validate_username"))]
    #[schema(
        min_length = 3,
        max_length = 64,
        pattern = "^[A-Za-z0-9._@-]+$",
        example = "adele.vance"
    )]
    pub username: String,
    /// Unique across the platform, case-insensitive.
    #[validate(email, length(max = 254))]
    #[schema(format = Email, max_length = 254, example = "adele.vance@contoso.com")]
    pub email: String,
    #[serde(default)]
    #[validate(length(max = 100))]
    #[schema(max_length = 100)]
    pub first_name: Option<String>,
    #[serde(default)]
    #[validate(length(max = 100))]
    #[schema(max_length = 100)]
    pub last_name: Option<String>,
    pub role_id: i64,
    #[serde(default = "default_true")]
    pub active: bool,
    /// The Entra object id of the user's Microsoft account, to allow Microsoft sign-in.
    #[serde(default)]
    #[validate(custom(function = "validate_microsoft_id"))]
    pub microsoft_id: Option<String>,
    /// Write-only. A new local password (12 to 128 characters). When omitted on update the
    /// current password is kept.
    // Not `skip_serializing`: utoipa then leaves the field out of the document, and
    // generated clients could not send it. A stored user's input never holds a password.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[validate(length(min = 12, max = 128))]
    #[schema(write_only, min_length = 12, max_length = 128, format = Password)]
    pub password: Option<String>,
}

impl From<&User> for UserInput {
    fn from(user: &User) -> Self {
        Self {
            username: user.username.clone(),
            email: user.email.clone(),
            first_name: user.first_name.clone(),
            last_name: user.last_name.clone(),
            role_id: user.role_id,
            active: user.active,
            microsoft_id: user.microsoft_id.clone(),
            password: None,
        }
    }
}

impl UserInput {
    /// Validation that needs the database: the role exists; names are not taken.
    fn check(&self, conn: &mut DbConnection, existing_id: Option<i64>) -> CoreResult<()> {
        let mut errors = match self.validate() {
            Ok(()) => Vec::new(),
            Err(e) => match CoreError::from(e) {
                CoreError::Invalid(fields) => fields,
                other => return Err(other),
            },
        };
        if let Some(password) = &self.password {
            if password
                .to_lowercase()
                .contains(&self.username.to_lowercase())
            {
                errors.push(FieldError::new(
                    "password",
                    "contains_username",
                    "must not contain the username",
                ));
            }
        }
        if !role_repo::exists(conn, self.role_id)? {
            errors.push(FieldError::new(
                "role_id",
                "unknown_role",
                "no role has this id",
            ));
        }
        if !errors.is_empty() {
            return Err(CoreError::Invalid(errors));
        }
        let others = || {
            let mut q = users::table.select(users::id).into_boxed();
            if let Some(id) = existing_id {
                q = q.filter(users::id.ne(id));
            }
            q
        };
        let taken = |conn: &mut DbConnection,
                     q: users::BoxedQuery<
            '_,
            crate::db::connection::MultiBackend,
            diesel::sql_types::BigInt,
        >|
         -> CoreResult<bool> { Ok(q.first::<i64>(conn).optional()?.is_some()) };
        if taken(
            conn,
            others().filter(fold(users::username).eq(self.username.to_lowercase())),
        )? {
            return Err(CoreError::Conflict(
                "a user with this username already exists".into(),
            ));
        }
        if taken(
            conn,
            others().filter(fold(users::email).eq(self.email.to_lowercase())),
        )? {
            return Err(CoreError::Conflict(
                "a user with this e-mail address already exists".into(),
            ));
        }
        if let Some(microsoft_id) = &self.microsoft_id {
            if taken(
                conn,
                others().filter(users::microsoft_id.eq(microsoft_id.to_lowercase())),
            )? {
                return Err(CoreError::Conflict(
                    "another user is linked to this Microsoft account".into(),
                ));
            }
        }
        Ok(())
    }
}

/// Hashes a password with argon2id and a random salt (PHC string format).
pub fn hash_password(password: &str) -> CoreResult<String> {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|hash| hash.to_string())
        .map_err(|e| CoreError::Internal(format!("password hashing failed: {e}")))
}

/// Maps a failed user write. The role check runs before the write, but another transaction
/// may delete the role in between (PostgreSQL lets the two interleave): the foreign key then
/// refuses the row, which is the same invalid input as a role that was already gone.
fn write_error(err: diesel::result::Error) -> CoreError {
    use diesel::result::{DatabaseErrorKind, Error};
    match err {
        Error::DatabaseError(DatabaseErrorKind::ForeignKeyViolation, info)
            if info
                .constraint_name()
                .is_none_or(|name| name.contains("role")) =>
        {
            CoreError::invalid("role_id", "unknown_role", "no role has this id")
        }
        Error::DatabaseError(DatabaseErrorKind::ForeignKeyViolation, _) => {
            CoreError::Conflict("the tenant was deleted meanwhile".into())
        }
        other => conflict_on_unique(other, DUPLICATE_USER),
    }
}

const DUPLICATE_USER: &str =
    "a user with this username, e-mail address or Microsoft account already exists";

pub fn create(
    conn: &mut DbConnection,
    tenant_id: i64,
    input: &UserInput,
    now: UtcTime,
) -> CoreResult<User> {
    let password_hash = input.password.as_deref().map(hash_password).transpose()?;
    conn.write_transaction(|conn| {
        input.check(conn, None)?;
        let id: i64 = diesel::insert_into(users::table)
            .values((
                users::tenant_id.eq(tenant_id),
                users::role_id.eq(input.role_id),
                users::username.eq(&input.username),
                users::email.eq(&input.email),
                users::password_hash.eq(password_hash),
                users::first_name.eq(&input.first_name),
                users::last_name.eq(&input.last_name),
                users::microsoft_id.eq(input.microsoft_id.as_ref().map(|m| m.to_lowercase())),
                users::created_at.eq(now),
                users::active.eq(input.active),
            ))
            .returning(users::id)
            .get_result(conn)
            .map_err(write_error)?;
        get(conn, tenant_id, id)
    })
}

pub fn get(conn: &mut DbConnection, tenant_id: i64, id: i64) -> CoreResult<User> {
    users::table
        .inner_join(roles::table)
        .filter(users::tenant_id.eq(tenant_id))
        .filter(users::id.eq(id))
        .select(user_columns())
        .first::<UserRow>(conn)
        .optional()?
        .map(from_row)
        .ok_or_else(|| CoreError::not_found("user", id))
}

/// The user with this username (case-insensitive), in any tenant.
pub fn find_by_username(conn: &mut DbConnection, username: &str) -> CoreResult<Option<User>> {
    Ok(users::table
        .inner_join(roles::table)
        .filter(fold(users::username).eq(crate::db::fold_text(username.trim())))
        .select(user_columns())
        .first::<UserRow>(conn)
        .optional()?
        .map(from_row))
}

pub fn update(
    conn: &mut DbConnection,
    tenant_id: i64,
    id: i64,
    input: &UserInput,
) -> CoreResult<User> {
    let password_hash = input.password.as_deref().map(hash_password).transpose()?;
    conn.write_transaction(|conn| {
        get(conn, tenant_id, id)?;
        input.check(conn, Some(id))?;
        let target = users::table
            .filter(users::tenant_id.eq(tenant_id))
            .filter(users::id.eq(id));
        diesel::update(target)
            .set((
                users::role_id.eq(input.role_id),
                users::username.eq(&input.username),
                users::email.eq(&input.email),
                users::first_name.eq(&input.first_name),
                users::last_name.eq(&input.last_name),
                users::microsoft_id.eq(input.microsoft_id.as_ref().map(|m| m.to_lowercase())),
                users::active.eq(input.active),
            ))
            .execute(conn)
            .map_err(write_error)?;
        if let Some(hash) = password_hash {
            diesel::update(target)
                .set(users::password_hash.eq(hash))
                .execute(conn)?;
        }
        get(conn, tenant_id, id)
    })
}

pub fn delete(conn: &mut DbConnection, tenant_id: i64, id: i64) -> CoreResult<()> {
    let deleted = diesel::delete(
        users::table
            .filter(users::tenant_id.eq(tenant_id))
            .filter(users::id.eq(id)),
    )
    .execute(conn)?;
    if deleted == 0 {
        return Err(CoreError::not_found("user", id));
    }
    Ok(())
}

sort_orders! {
    UserSortField { Username => "username", CreatedAt => "created_at", Id => "id" } default Username false
}

/// Filters of the user list.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct UserFilter {
    /// Only users whose username, e-mail or name contains this text (case-insensitive).
    pub search: Option<String>,
    /// Only users with this role.
    pub role_id: Option<i64>,
    /// Only active (true) or inactive (false) users.
    pub active: Option<bool>,
}

pub fn list(
    conn: &mut DbConnection,
    tenant_id: i64,
    filter: &UserFilter,
    sort: Sort<UserSortField>,
    page: &PageRequest,
) -> CoreResult<Page<User>> {
    use crate::db::coalesce_text as coalesce;
    let limit = page.limit()?;
    let sort_text = sort_key_text(sort.field.field(), sort.descending);
    let mut query = users::table
        .inner_join(roles::table)
        .filter(users::tenant_id.eq(tenant_id))
        .select(user_columns())
        .into_boxed();
    if let Some(search) = filter.search.as_deref().filter(|s| !s.is_empty()) {
        let pattern = crate::db::like_pattern(search);
        query = query.filter(
            fold(users::username)
                .like(pattern.clone())
                .escape('\\')
                .or(fold(users::email).like(pattern.clone()).escape('\\'))
                .or(fold(coalesce(users::first_name, ""))
                    .like(pattern.clone())
                    .escape('\\'))
                .or(fold(coalesce(users::last_name, ""))
                    .like(pattern)
                    .escape('\\')),
        );
    }
    if let Some(role_id) = filter.role_id {
        query = query.filter(users::role_id.eq(role_id));
    }
    if let Some(active) = filter.active {
        query = query.filter(users::active.eq(active));
    }
    let query = match sort.field {
        UserSortField::Username => keyset!(
            query,
            users::username,
            users::id,
            sort.descending,
            page.after::<String>(&sort_text)?
        ),
        UserSortField::CreatedAt => keyset!(
            query,
            users::created_at,
            users::id,
            sort.descending,
            page.after::<UtcTime>(&sort_text)?
        ),
        UserSortField::Id => keyset!(
            query,
            users::id,
            users::id,
            sort.descending,
            page.after::<i64>(&sort_text)?
        ),
    };
    let rows: Vec<UserRow> = query.limit(limit + 1).load(conn)?;
    let users: Vec<User> = rows.into_iter().map(from_row).collect();
    Ok(Page::from_rows(users, limit, &sort_text, |u| {
        match sort.field {
            UserSortField::Username => (serde_json::json!(u.username), u.id),
            UserSortField::CreatedAt => (serde_json::json!(u.created_at), u.id),
            UserSortField::Id => (serde_json::json!(u.id), u.id),
        }
    }))
}
