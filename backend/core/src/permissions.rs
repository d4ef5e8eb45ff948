//! Permissions are strings held in `roles.permissions`; each API route declares the one it needs.
//! The built-in roles are seeded by the `seed_roles` migrations with these same strings.

use crate::types::text_enum;

text_enum! {
    /// One thing a role allows.
    pub enum Permission {
        /// Read tenants (one's own; every tenant with `tenants:manage`).
        TenantsRead => "tenants:read",
        /// Create, change and delete any tenant (platform superadmins).
        TenantsManage => "tenants:manage",
        RolesRead => "roles:read",
        /// Create, change and delete roles (platform superadmins).
        RolesManage => "roles:manage",
        UsersRead => "users:read",
        UsersManage => "users:manage",
        SettingsRead => "settings:read",
        SettingsWrite => "settings:write",
        ConfigurationsRead => "configurations:read",
        ConfigurationsDelete => "configurations:delete",
        HistoryRead => "history:read",
        SigninsRead => "signins:read",
        ApiTokensManage => "api_tokens:manage",
    }
}
