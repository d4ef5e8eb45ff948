//! Roles: named permission lists. Every user has one role.

use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use validator::Validate;

use crate::db::schema::{roles, users};
use crate::db::DbConnection;
use crate::error::{conflict_on_unique, CoreError, CoreResult};
use crate::pagination::{sort_key_text, Page, PageRequest, Sort};
use crate::permissions::Permission;
use crate::{keyset, sort_orders, Json, UtcTime};

/// A role and the permissions it grants.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Role {
    pub id: i64,
    #[schema(example = "auditor")]
    pub name: String,
    pub description: String,
    pub permissions: Vec<Permission>,
    /// Built-in roles (`superadmin`, `admin`, `operator`, `viewer`) cannot be changed or deleted.
    pub built_in: bool,
    pub created_at: UtcTime,
}

#[derive(Queryable)]
struct RoleRow {
    id: i64,
    name: String,
    description: String,
    permissions: Json,
    built_in: bool,
    created_at: UtcTime,
}

impl TryFrom<RoleRow> for Role {
    type Error = CoreError;
    fn try_from(row: RoleRow) -> CoreResult<Role> {
        // Unknown strings (from a newer version or a manual edit) are skipped, not fatal: a role
        // must stay readable, and a permission this version does not know grants nothing here.
        let permissions = match row.permissions.0 {
            serde_json::Value::Array(items) => items
                .iter()
                .filter_map(|item| item.as_str().and_then(|s| s.parse().ok()))
                .collect(),
            other => {
                return Err(CoreError::CorruptData(format!(
                    "role {} has permissions {other}",
                    row.id
                )))
            }
        };
        Ok(Role {
            id: row.id,
            name: row.name,
            description: row.description,
            permissions,
            built_in: row.built_in,
            created_at: row.created_at,
        })
    }
}

fn validate_role_name(name: &str) -> Result<(), validator::ValidationError> {
    let mut chars = name.chars();
    let starts_well = chars.next().is_some_and(|c| c.is_ascii_lowercase());
    if starts_well
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '-')
    {
        Ok(())
    } else {
        let mut err = validator::ValidationError::new("pattern");
        err.message =
            Some("must start with a lower-case letter and hold only a-z, 0-9, _ and -".into());
        Err(err)
    }
}

/// The writable fields of a role (create and full replace).
#[derive(Debug, Clone, Serialize, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RoleInput {
    #[validate(length(min = 1, max = 64), custom(function = "validate_role_name"))]
    #[schema(
        min_length = 1,
        max_length = 64,
        pattern = "^[a-z][a-z0-9_-]*$",
        example = "auditor"
    )]
    pub name: String,
    #[serde(default)]
    #[validate(length(max = 500))]
    #[schema(max_length = 500)]
    pub description: String,
    #[serde(default)]
    pub permissions: Vec<Permission>,
}

impl From<&Role> for RoleInput {
    fn from(role: &Role) -> Self {
        Self {
            name: role.name.clone(),
            description: role.description.clone(),
            permissions: role.permissions.clone(),
        }
    }
}

impl RoleInput {
    fn permissions_json(&self) -> Json {
        let mut unique: Vec<Permission> = self.permissions.clone();
        unique.sort();
        unique.dedup();
        Json(serde_json::Value::Array(
            unique
                .into_iter()
                .map(|p| serde_json::Value::from(p.as_str()))
                .collect(),
        ))
    }
}

sort_orders! {
    RoleSortField { Name => "name", Id => "id" } default Name false
}

/// Filters of the role list.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RoleFilter {
    /// Only roles whose name contains this text (case-insensitive).
    pub name: Option<String>,
}

const DUPLICATE_NAME: &str = "a role with this name already exists";

pub fn create(conn: &mut DbConnection, input: &RoleInput, now: UtcTime) -> CoreResult<Role> {
    input.validate()?;
    let row: RoleRow = diesel::insert_into(roles::table)
        .values((
            roles::name.eq(&input.name),
            roles::description.eq(&input.description),
            roles::permissions.eq(input.permissions_json()),
            roles::built_in.eq(false),
            roles::created_at.eq(now),
        ))
        .returning(roles::all_columns)
        .get_result(conn)
        .map_err(|e| conflict_on_unique(e, DUPLICATE_NAME))?;
    row.try_into()
}

pub fn get(conn: &mut DbConnection, id: i64) -> CoreResult<Role> {
    let row: RoleRow = roles::table
        .find(id)
        .first(conn)
        .optional()?
        .ok_or_else(|| CoreError::not_found("role", id))?;
    row.try_into()
}

/// A user's username, whether they are active, and their role, in one query (every
/// authenticated request needs them).
pub fn of_user(
    conn: &mut DbConnection,
    tenant_id: i64,
    user_id: i64,
) -> CoreResult<Option<(String, bool, Role)>> {
    let row: Option<(String, bool, RoleRow)> = users::table
        .inner_join(roles::table)
        .filter(users::tenant_id.eq(tenant_id))
        .filter(users::id.eq(user_id))
        .select((users::username, users::active, roles::all_columns))
        .first(conn)
        .optional()?;
    row.map(|(username, active, role)| Ok((username, active, role.try_into()?)))
        .transpose()
}

pub fn find_by_name(conn: &mut DbConnection, name: &str) -> CoreResult<Option<Role>> {
    let row: Option<RoleRow> = roles::table
        .filter(roles::name.eq(name))
        .first(conn)
        .optional()?;
    row.map(Role::try_from).transpose()
}

pub fn exists(conn: &mut DbConnection, id: i64) -> CoreResult<bool> {
    Ok(diesel::select(diesel::dsl::exists(roles::table.find(id))).get_result(conn)?)
}

fn refuse_built_in(conn: &mut DbConnection, id: i64, action: &str) -> CoreResult<()> {
    if get(conn, id)?.built_in {
        return Err(CoreError::Conflict(format!(
            "built-in roles cannot be {action}"
        )));
    }
    Ok(())
}

pub fn update(conn: &mut DbConnection, id: i64, input: &RoleInput) -> CoreResult<Role> {
    input.validate()?;
    conn.write_transaction(|conn| {
        refuse_built_in(conn, id, "changed")?;
        let row: RoleRow = diesel::update(roles::table.find(id))
            .set((
                roles::name.eq(&input.name),
                roles::description.eq(&input.description),
                roles::permissions.eq(input.permissions_json()),
            ))
            .returning(roles::all_columns)
            .get_result(conn)
            .map_err(|e| conflict_on_unique(e, DUPLICATE_NAME))?;
        row.try_into()
    })
}

/// Deletes a role that no user holds.
pub fn delete(conn: &mut DbConnection, id: i64) -> CoreResult<()> {
    conn.write_transaction(|conn| {
        refuse_built_in(conn, id, "deleted")?;
        let holders: i64 = users::table
            .filter(users::role_id.eq(id))
            .count()
            .get_result(conn)?;
        if holders > 0 {
            return Err(CoreError::Conflict(format!(
                "the role is held by {holders} user(s); give them another role first"
            )));
        }
        // A user given the role by a concurrent transaction makes the foreign key refuse the
        // delete: the same conflict as a holder counted above.
        diesel::delete(roles::table.find(id))
            .execute(conn)
            .map_err(|err| match err {
                diesel::result::Error::DatabaseError(
                    diesel::result::DatabaseErrorKind::ForeignKeyViolation,
                    _,
                ) => CoreError::Conflict(
                    "the role is still held by a user or an API token; move them to another role first".into(),
                ),
                other => CoreError::Database(other),
            })?;
        Ok(())
    })
}

pub fn list(
    conn: &mut DbConnection,
    filter: &RoleFilter,
    sort: Sort<RoleSortField>,
    page: &PageRequest,
) -> CoreResult<Page<Role>> {
    let limit = page.limit()?;
    let sort_text = sort_key_text(sort.field.field(), sort.descending);
    let mut query = roles::table.into_boxed();
    if let Some(name) = filter.name.as_deref().filter(|n| !n.is_empty()) {
        query = query.filter(
            crate::db::fold(roles::name)
                .like(crate::db::like_pattern(name))
                .escape('\\'),
        );
    }
    let query = match sort.field {
        RoleSortField::Name => keyset!(
            query,
            roles::name,
            roles::id,
            sort.descending,
            page.after::<String>(&sort_text)?
        ),
        RoleSortField::Id => keyset!(
            query,
            roles::id,
            roles::id,
            sort.descending,
            page.after::<i64>(&sort_text)?
        ),
    };
    let rows: Vec<RoleRow> = query.limit(limit + 1).load(conn)?;
    let roles = rows
        .into_iter()
        .map(Role::try_from)
        .collect::<CoreResult<Vec<_>>>()?;
    Ok(Page::from_rows(roles, limit, &sort_text, |r| {
        match sort.field {
            RoleSortField::Name => (serde_json::json!(r.name), r.id),
            RoleSortField::Id => (serde_json::json!(r.id), r.id),
        }
    }))
}
