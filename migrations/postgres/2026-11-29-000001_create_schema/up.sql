-- Azure Drift Detector schema (PostgreSQL). The SQLite migration of the same name has the same
-- tables, columns, constraints and indexes; keep them in step.
-- Timestamps are timestamptz (UTC); JSON documents are jsonb.

-- Case folding for case-insensitive filters and uniqueness. SQLite connections register a
-- function of the same name (Rust's Unicode to_lowercase), since SQLite's lower() folds ASCII only.
CREATE FUNCTION drift_fold(text) RETURNS text
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    AS $$ SELECT lower($1) $$;

CREATE TABLE tenants (
    id              BIGSERIAL PRIMARY KEY,
    name            TEXT        NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    azure_tenant_id TEXT        NOT NULL,
    created_at      TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT tenants_azure_tenant_id_key UNIQUE (azure_tenant_id)
);
CREATE INDEX tenants_name_idx ON tenants (name, id);
CREATE INDEX tenants_created_at_idx ON tenants (created_at, id);

CREATE TABLE roles (
    id          BIGSERIAL PRIMARY KEY,
    name        TEXT        NOT NULL CHECK (length(name) BETWEEN 1 AND 64),
    description TEXT        NOT NULL DEFAULT '',
    permissions JSONB       NOT NULL DEFAULT '[]'::jsonb CHECK (jsonb_typeof(permissions) = 'array'),
    built_in    BOOLEAN     NOT NULL DEFAULT FALSE,
    created_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT roles_name_key UNIQUE (name)
);

CREATE TABLE users (
    id            BIGSERIAL PRIMARY KEY,
    tenant_id     BIGINT      NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    role_id       BIGINT      NOT NULL REFERENCES roles (id) ON DELETE RESTRICT,
    username      TEXT        NOT NULL,
    email         TEXT        NOT NULL,
    password_hash TEXT,
    first_name    TEXT,
    last_name     TEXT,
    microsoft_id  TEXT,
    access_token  TEXT,
    refresh_token TEXT,
    token_expiry  TIMESTAMPTZ,
    created_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
    last_login    TIMESTAMPTZ,
    active        BOOLEAN     NOT NULL DEFAULT TRUE
);
-- Sign-in takes a username or an e-mail without a tenant, so both are unique platform-wide,
-- regardless of case.
CREATE UNIQUE INDEX users_username_key ON users (drift_fold(username));
CREATE UNIQUE INDEX users_email_key ON users (drift_fold(email));
CREATE UNIQUE INDEX users_microsoft_id_key ON users (microsoft_id) WHERE microsoft_id IS NOT NULL;
CREATE INDEX users_tenant_username_idx ON users (tenant_id, username, id);
CREATE INDEX users_tenant_created_at_idx ON users (tenant_id, created_at, id);
CREATE INDEX users_role_id_idx ON users (role_id);

CREATE TABLE settings (
    id                    BIGSERIAL PRIMARY KEY,
    tenant_id             BIGINT      NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    notification_settings JSONB       NOT NULL,
    polling_settings      JSONB       NOT NULL,
    drift_thresholds      JSONB       NOT NULL,
    last_updated          TIMESTAMPTZ NOT NULL DEFAULT now()
);
-- The newest row of a tenant is the one in force.
CREATE INDEX settings_tenant_last_updated_idx ON settings (tenant_id, last_updated DESC, id DESC);

CREATE TABLE configurations (
    id            BIGSERIAL PRIMARY KEY,
    tenant_id     BIGINT      NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    source        TEXT        NOT NULL CHECK (source IN ('entra', 'intune', 'arm')),
    resource_type TEXT        NOT NULL,
    resource_id   TEXT        NOT NULL,
    resource_name TEXT        NOT NULL DEFAULT '',
    config_data   JSONB       NOT NULL,
    last_updated  TIMESTAMPTZ NOT NULL DEFAULT now(),
    content_hash  TEXT        NOT NULL,
    deleted_at    TIMESTAMPTZ,
    CONSTRAINT configurations_tenant_source_resource_key UNIQUE (tenant_id, source, resource_id)
);
CREATE INDEX configurations_tenant_name_idx ON configurations (tenant_id, resource_name, id);
-- Types are compared case-insensitively (ARM types differ in case between APIs).
CREATE INDEX configurations_tenant_type_idx ON configurations (tenant_id, drift_fold(resource_type), id);
CREATE INDEX configurations_tenant_type_sort_idx ON configurations (tenant_id, resource_type, id);
CREATE INDEX configurations_tenant_last_updated_idx ON configurations (tenant_id, last_updated, id);

CREATE TABLE configuration_history (
    id               BIGSERIAL PRIMARY KEY,
    configuration_id BIGINT      NOT NULL REFERENCES configurations (id) ON DELETE CASCADE,
    -- Copied from the configuration so the tenant-wide drift feed needs no join.
    tenant_id        BIGINT      NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    previous_config  JSONB,
    new_config       JSONB,
    changed_at       TIMESTAMPTZ NOT NULL,
    change_type      TEXT        NOT NULL CHECK (change_type IN ('created', 'updated', 'deleted')),
    changed_by       TEXT        NOT NULL DEFAULT 'unknown',
    changed_paths    JSONB       NOT NULL DEFAULT '[]'::jsonb,
    severity         TEXT        CHECK (severity IN ('info', 'low', 'medium', 'high', 'critical'))
);
CREATE INDEX configuration_history_configuration_idx ON configuration_history (configuration_id, changed_at, id);
CREATE INDEX configuration_history_tenant_changed_at_idx ON configuration_history (tenant_id, changed_at, id);
CREATE INDEX configuration_history_tenant_changed_by_idx ON configuration_history (tenant_id, drift_fold(changed_by));

CREATE TABLE signing_logs (
    id          BIGSERIAL PRIMARY KEY,
    tenant_id   BIGINT      NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    log_id      TEXT        NOT NULL,
    "timestamp" TIMESTAMPTZ NOT NULL,
    actor       TEXT,
    action      TEXT,
    resource    TEXT,
    status      TEXT        NOT NULL,
    client_ip   TEXT,
    log_data    JSONB       NOT NULL,
    ingested_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT signing_logs_tenant_log_id_key UNIQUE (tenant_id, log_id)
);
CREATE INDEX signing_logs_tenant_timestamp_idx ON signing_logs (tenant_id, "timestamp", id);
CREATE INDEX signing_logs_tenant_actor_idx ON signing_logs (tenant_id, drift_fold(actor));
CREATE INDEX signing_logs_tenant_status_idx ON signing_logs (tenant_id, status);
CREATE INDEX signing_logs_tenant_client_ip_idx ON signing_logs (tenant_id, client_ip);
CREATE INDEX signing_logs_tenant_action_idx ON signing_logs (tenant_id, drift_fold(action));
