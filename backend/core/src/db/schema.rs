//! The Diesel schema shared by both backends. It is kept by hand: `diesel print-schema` would
//! give each backend its own native types, while one code path needs one schema whose JSON and
//! timestamp columns use the portable types of [`super::sql_types`].

diesel::table! {
    use diesel::sql_types::*;
    use crate::db::sql_types::{JsonDoc, UtcTimestamp};

    tenants (id) {
        id -> BigInt,
        name -> Text,
        azure_tenant_id -> Text,
        created_at -> UtcTimestamp,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::db::sql_types::{JsonDoc, UtcTimestamp};

    roles (id) {
        id -> BigInt,
        name -> Text,
        description -> Text,
        permissions -> JsonDoc,
        built_in -> Bool,
        created_at -> UtcTimestamp,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::db::sql_types::UtcTimestamp;

    users (id) {
        id -> BigInt,
        tenant_id -> BigInt,
        role_id -> BigInt,
        username -> Text,
        email -> Text,
        password_hash -> Nullable<Text>,
        first_name -> Nullable<Text>,
        last_name -> Nullable<Text>,
        microsoft_id -> Nullable<Text>,
        access_token -> Nullable<Text>,
        refresh_token -> Nullable<Text>,
        token_expiry -> Nullable<UtcTimestamp>,
        created_at -> UtcTimestamp,
        last_login -> Nullable<UtcTimestamp>,
        active -> Bool,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::db::sql_types::{JsonDoc, UtcTimestamp};

    settings (id) {
        id -> BigInt,
        tenant_id -> BigInt,
        notification_settings -> JsonDoc,
        polling_settings -> JsonDoc,
        drift_thresholds -> JsonDoc,
        last_updated -> UtcTimestamp,
        saved_by -> Nullable<Text>,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::db::sql_types::{JsonDoc, UtcTimestamp};

    configurations (id) {
        id -> BigInt,
        tenant_id -> BigInt,
        source -> Text,
        resource_type -> Text,
        resource_id -> Text,
        resource_name -> Text,
        config_data -> JsonDoc,
        last_updated -> UtcTimestamp,
        content_hash -> Text,
        deleted_at -> Nullable<UtcTimestamp>,
        last_change_at -> Nullable<UtcTimestamp>,
        last_change_type -> Nullable<Text>,
        last_change_severity -> Nullable<Text>,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::db::sql_types::{JsonDoc, UtcTimestamp};

    configuration_history (id) {
        id -> BigInt,
        configuration_id -> BigInt,
        tenant_id -> BigInt,
        previous_config -> Nullable<JsonDoc>,
        new_config -> Nullable<JsonDoc>,
        changed_at -> UtcTimestamp,
        change_type -> Text,
        changed_by -> Text,
        changed_paths -> JsonDoc,
        severity -> Nullable<Text>,
        notified_at -> Nullable<UtcTimestamp>,
        notify_lease_owner -> Nullable<Text>,
        notify_lease_expires_at -> Nullable<UtcTimestamp>,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::db::sql_types::{JsonDoc, UtcTimestamp};

    signing_logs (id) {
        id -> BigInt,
        tenant_id -> BigInt,
        log_id -> Text,
        timestamp -> UtcTimestamp,
        actor -> Nullable<Text>,
        action -> Nullable<Text>,
        resource -> Nullable<Text>,
        status -> Text,
        client_ip -> Nullable<Text>,
        log_data -> JsonDoc,
        ingested_at -> UtcTimestamp,
        country -> Nullable<Text>,
        error_code -> Nullable<Integer>,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::db::sql_types::UtcTimestamp;

    /// Per (tenant, source) scheduling state of the worker.
    poll_state (tenant_id, source) {
        tenant_id -> BigInt,
        source -> Text,
        next_run_at -> UtcTimestamp,
        lease_owner -> Nullable<Text>,
        lease_expires_at -> Nullable<UtcTimestamp>,
        baseline_at -> Nullable<UtcTimestamp>,
        last_success_at -> Nullable<UtcTimestamp>,
        last_error -> Nullable<Text>,
        last_error_at -> Nullable<UtcTimestamp>,
        signin_watermark -> Nullable<UtcTimestamp>,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::db::sql_types::UtcTimestamp;

    /// Rotating refresh tokens of API sessions (hashes only).
    refresh_tokens (id) {
        id -> BigInt,
        user_id -> BigInt,
        family_id -> Text,
        token_hash -> Text,
        created_at -> UtcTimestamp,
        expires_at -> UtcTimestamp,
        rotated_at -> Nullable<UtcTimestamp>,
        revoked_at -> Nullable<UtcTimestamp>,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::db::sql_types::UtcTimestamp;

    /// Long-lived integration tokens (hashes only).
    api_tokens (id) {
        id -> BigInt,
        tenant_id -> BigInt,
        role_id -> BigInt,
        name -> Text,
        token_hash -> Text,
        created_by -> Nullable<BigInt>,
        created_at -> UtcTimestamp,
        expires_at -> Nullable<UtcTimestamp>,
        last_used_at -> Nullable<UtcTimestamp>,
        revoked_at -> Nullable<UtcTimestamp>,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::db::sql_types::UtcTimestamp;

    /// Microsoft sign-ins in progress (state and nonce hashed, PKCE verifier encrypted).
    microsoft_logins (id) {
        id -> BigInt,
        tenant_id -> BigInt,
        state_hash -> Text,
        nonce_hash -> Text,
        pkce_verifier -> Text,
        created_at -> UtcTimestamp,
        expires_at -> UtcTimestamp,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::db::sql_types::UtcTimestamp;

    /// One-time codes that hand a completed Microsoft sign-in to the SPA (hashes only).
    microsoft_handoffs (id) {
        id -> BigInt,
        user_id -> BigInt,
        code_hash -> Text,
        created_at -> UtcTimestamp,
        expires_at -> UtcTimestamp,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::db::sql_types::{JsonDoc, UtcTimestamp};

    notification_deliveries (id) {
        id -> BigInt,
        tenant_id -> BigInt,
        channel_name -> Text,
        channel_kind -> Text,
        history_ids -> JsonDoc,
        digest -> Bool,
        status -> Text,
        attempts -> Integer,
        last_error -> Nullable<Text>,
        response_status -> Nullable<Integer>,
        created_at -> UtcTimestamp,
        delivered_at -> Nullable<UtcTimestamp>,
    }
}

diesel::joinable!(users -> tenants (tenant_id));
diesel::joinable!(users -> roles (role_id));
diesel::joinable!(settings -> tenants (tenant_id));
diesel::joinable!(configurations -> tenants (tenant_id));
diesel::joinable!(configuration_history -> configurations (configuration_id));
diesel::joinable!(signing_logs -> tenants (tenant_id));
diesel::joinable!(poll_state -> tenants (tenant_id));
diesel::joinable!(refresh_tokens -> users (user_id));
diesel::joinable!(api_tokens -> tenants (tenant_id));
diesel::joinable!(api_tokens -> roles (role_id));
diesel::joinable!(microsoft_logins -> tenants (tenant_id));
diesel::joinable!(microsoft_handoffs -> users (user_id));
diesel::joinable!(notification_deliveries -> tenants (tenant_id));

diesel::allow_tables_to_appear_in_same_query!(
    tenants,
    roles,
    users,
    settings,
    configurations,
    configuration_history,
    signing_logs,
    poll_state,
    refresh_tokens,
    api_tokens,
    microsoft_logins,
    microsoft_handoffs,
    notification_deliveries,
);
