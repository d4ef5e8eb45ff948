//! Who is calling and what they may do.
//!
//! A [`Principal`] is a signed-in user or an API token, with the tenant it belongs to and the
//! permissions of its role, read afresh for every request (so a changed role or a deactivated
//! user takes effect at once). The API decides each request's fate from it in one place; the
//! rules that need more than a route's permission (who may grant which role, who may manage
//! whom) are the functions here, so they are the same wherever they apply.

use std::collections::BTreeSet;

use serde::Serialize;
use utoipa::ToSchema;

use crate::db::DbConnection;
use crate::error::{CoreError, CoreResult};
use crate::permissions::Permission;
use crate::roles::{self, Role};
use crate::users::{self, User, UserInput};
use crate::UtcTime;

/// What kind of credential a request carried.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Subject {
    /// A person signed in with a password or Microsoft.
    User { id: i64, username: String },
    /// An integration's long-lived API token.
    ApiToken { id: i64, name: String },
}

/// The caller of a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    pub subject: Subject,
    /// The tenant the caller belongs to.
    pub tenant_id: i64,
    pub role_id: i64,
    pub role: String,
    pub permissions: BTreeSet<Permission>,
}

impl Principal {
    pub fn from_role(subject: Subject, tenant_id: i64, role: &Role) -> Self {
        Self {
            subject,
            tenant_id,
            role_id: role.id,
            role: role.name.clone(),
            permissions: role.permissions.iter().copied().collect(),
        }
    }

    pub fn has(&self, permission: Permission) -> bool {
        self.permissions.contains(&permission)
    }

    /// Whether the caller acts across tenants: the platform superadmin, or any role that may
    /// manage tenants (managing every tenant implies seeing inside them).
    pub fn spans_tenants(&self) -> bool {
        self.has(Permission::TenantsManage)
    }

    /// Whether the caller may see and act inside a tenant at all. Callers outside it get 404,
    /// never 403, so that other tenants' ids reveal nothing.
    pub fn may_enter(&self, tenant_id: i64) -> bool {
        self.spans_tenants() || self.tenant_id == tenant_id
    }

    /// The tenant a list of tenants is limited to: `None` for callers who span tenants.
    pub fn tenant_limit(&self) -> Option<i64> {
        (!self.spans_tenants()).then_some(self.tenant_id)
    }

    /// Whether the caller holds every permission of `role`: nobody hands out more than they
    /// have themselves (to a user or an API token).
    pub fn may_grant(&self, role: &Role) -> bool {
        role.permissions.iter().all(|p| self.has(*p))
    }

    /// The user id, for a signed-in person.
    pub fn user_id(&self) -> Option<i64> {
        match self.subject {
            Subject::User { id, .. } => Some(id),
            Subject::ApiToken { .. } => None,
        }
    }

    /// A short description for audit lines: `user 5 (adele)` or `api token 3 (ci)`.
    pub fn describe(&self) -> String {
        match &self.subject {
            Subject::User { id, username } => format!("user {id} ({username})"),
            Subject::ApiToken { id, name } => format!("api token {id} ({name})"),
        }
    }
}

/// The caller as `/auth/me` shows it, so that a client can tell what to offer.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Identity {
    pub subject: Subject,
    pub tenant_id: i64,
    pub role: String,
    pub permissions: Vec<Permission>,
    /// Whether the caller acts across tenants (the platform superadmin).
    pub spans_tenants: bool,
    /// The signed-in user; empty for an API token.
    pub user: Option<User>,
}

pub fn identity(conn: &mut DbConnection, caller: &Principal) -> CoreResult<Identity> {
    let user = match caller.user_id() {
        Some(id) => Some(users::get(conn, caller.tenant_id, id)?),
        None => None,
    };
    Ok(Identity {
        subject: caller.subject.clone(),
        tenant_id: caller.tenant_id,
        role: caller.role.clone(),
        permissions: caller.permissions.iter().copied().collect(),
        spans_tenants: caller.spans_tenants(),
        user,
    })
}

/// The principal of a signed-in user, who must still exist and be active.
pub fn user_principal(
    conn: &mut DbConnection,
    tenant_id: i64,
    user_id: i64,
) -> CoreResult<Principal> {
    match roles::of_user(conn, tenant_id, user_id)? {
        None => Err(CoreError::Auth(crate::auth::AuthError::InvalidAccessToken)),
        Some((_, false, _)) => Err(CoreError::Auth(crate::auth::AuthError::Inactive)),
        Some((username, true, role)) => Ok(Principal::from_role(
            Subject::User {
                id: user_id,
                username,
            },
            tenant_id,
            &role,
        )),
    }
}

/// Refuses to hand out a role with more permissions than the caller's own. An unknown role is
/// left to the write's own validation, which names the field.
pub fn ensure_may_grant(
    conn: &mut DbConnection,
    caller: &Principal,
    role_id: i64,
) -> CoreResult<()> {
    match roles::get(conn, role_id) {
        Ok(role) if !caller.may_grant(&role) => Err(CoreError::Forbidden(format!(
            "your role ({}) cannot grant the role {}, which has permissions yours lacks",
            caller.role, role.name
        ))),
        Ok(_) | Err(CoreError::NotFound { .. }) => Ok(()),
        Err(other) => Err(other),
    }
}

/// Refuses to change or delete a user whose role outranks the caller's (an admin resetting a
/// superadmin's password would become one).
pub fn ensure_may_manage(caller: &Principal, target: &User, target_role: &Role) -> CoreResult<()> {
    if caller.may_grant(target_role) {
        Ok(())
    } else {
        Err(CoreError::Forbidden(format!(
            "user {} holds the role {}, which has permissions yours ({}) lacks",
            target.id, target_role.name, caller.role
        )))
    }
}

/// Creates a user on behalf of `caller`, who may not hand out a role above their own.
pub fn create_user(
    conn: &mut DbConnection,
    caller: &Principal,
    tenant_id: i64,
    input: &UserInput,
    now: UtcTime,
) -> CoreResult<User> {
    conn.write_transaction(|conn| {
        ensure_may_grant(conn, caller, input.role_id)?;
        users::create(conn, tenant_id, input, now)
    })
}

/// Changes user `id` on behalf of `caller`: the new fields come from `input_of` (the current
/// user in, the writable fields out). The caller may not touch a user whose role is above
/// their own, nor give one.
pub fn change_user(
    conn: &mut DbConnection,
    caller: &Principal,
    tenant_id: i64,
    id: i64,
    input_of: impl FnOnce(&User) -> CoreResult<UserInput>,
) -> CoreResult<User> {
    conn.write_transaction(|conn| {
        let current = managed_user(conn, caller, tenant_id, id)?;
        let input = input_of(&current)?;
        ensure_may_grant(conn, caller, input.role_id)?;
        users::update(conn, tenant_id, id, &input)
    })
}

/// Deletes user `id` on behalf of `caller`, who may not delete themselves or a user above them.
pub fn delete_user(
    conn: &mut DbConnection,
    caller: &Principal,
    tenant_id: i64,
    id: i64,
) -> CoreResult<()> {
    if caller.user_id() == Some(id) {
        return Err(CoreError::Conflict(
            "you cannot delete your own account; ask another administrator".into(),
        ));
    }
    conn.write_transaction(|conn| {
        managed_user(conn, caller, tenant_id, id)?;
        users::delete(conn, tenant_id, id)
    })
}

fn managed_user(
    conn: &mut DbConnection,
    caller: &Principal,
    tenant_id: i64,
    id: i64,
) -> CoreResult<User> {
    let target = users::get(conn, tenant_id, id)?;
    let role = roles::get(conn, target.role_id)?;
    ensure_may_manage(caller, &target, &role)?;
    Ok(target)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn role(id: i64, name: &str, permissions: &[Permission]) -> Role {
        Role {
            id,
            name: name.into(),
            description: String::new(),
            permissions: permissions.to_vec(),
            built_in: true,
            created_at: crate::UtcTime::now(),
        }
    }

    fn user(role: &Role, tenant_id: i64) -> Principal {
        Principal::from_role(
            Subject::User {
                id: 1,
                username: "a".into(),
            },
            tenant_id,
            role,
        )
    }

    #[test]
    fn only_tenant_managers_cross_tenants() {
        let admin = user(
            &role(
                2,
                "admin",
                &[Permission::UsersManage, Permission::TenantsRead],
            ),
            7,
        );
        assert!(admin.may_enter(7) && !admin.may_enter(8));
        assert_eq!(admin.tenant_limit(), Some(7));
        let superadmin = user(&role(1, "superadmin", &[Permission::TenantsManage]), 7);
        assert!(superadmin.may_enter(8));
        assert_eq!(superadmin.tenant_limit(), None);
    }

    #[test]
    fn nobody_grants_more_than_they_hold() {
        let viewer = role(4, "viewer", &[Permission::ConfigurationsRead]);
        let admin_role = role(
            2,
            "admin",
            &[Permission::ConfigurationsRead, Permission::UsersManage],
        );
        let admin = user(&admin_role, 1);
        assert!(admin.may_grant(&viewer) && admin.may_grant(&admin_role));
        let superadmin = role(1, "superadmin", &[Permission::TenantsManage]);
        assert!(!admin.may_grant(&superadmin));
    }
}
