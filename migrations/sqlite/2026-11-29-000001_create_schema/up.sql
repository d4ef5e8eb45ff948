-- Azure Drift Detector schema (SQLite). The PostgreSQL migration of the same name has the same
-- tables, columns, constraints and indexes; keep them in step.
-- Timestamps are ISO 8601 UTC text with six fractional digits ('2026-11-29T08:15:00.000000Z'),
-- so text order is time order. JSON documents are JSON text (checked by json_valid), readable by
-- any SQLite tool, rather than SQLite's binary JSONB.
-- drift_fold() is Unicode case folding, registered by the application on every connection
-- (SQLite's lower() folds ASCII only); the indexes below use it, so rows of these tables are
-- written through the application, not the sqlite3 shell.

CREATE TABLE tenants (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    name            TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    azure_tenant_id TEXT NOT NULL,
    created_at      TEXT NOT NULL,
    CONSTRAINT tenants_azure_tenant_id_key UNIQUE (azure_tenant_id)
);
CREATE INDEX tenants_name_idx ON tenants (name, id);
CREATE INDEX tenants_created_at_idx ON tenants (created_at, id);

CREATE TABLE roles (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    name        TEXT    NOT NULL CHECK (length(name) BETWEEN 1 AND 64),
    description TEXT    NOT NULL DEFAULT '',
    permissions TEXT    NOT NULL DEFAULT '[]' CHECK (json_valid(permissions) AND json_type(permissions) = 'array'),
    built_in    BOOLEAN NOT NULL DEFAULT 0,
    created_at  TEXT    NOT NULL,
    CONSTRAINT roles_name_key UNIQUE (name)
);

CREATE TABLE users (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant_id     BIGINT  NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    role_id       BIGINT  NOT NULL REFERENCES roles (id) ON DELETE RESTRICT,
    username      TEXT    NOT NULL,
    email         TEXT    NOT NULL,
    password_hash TEXT,
    first_name    TEXT,
    last_name     TEXT,
    microsoft_id  TEXT,
    access_token  TEXT,
    refresh_token TEXT,
    token_expiry  TEXT,
    created_at    TEXT    NOT NULL,
    last_login    TEXT,
    active        BOOLEAN NOT NULL DEFAULT 1
);
CREATE UNIQUE INDEX users_username_key ON users (drift_fold(username));
CREATE UNIQUE INDEX users_email_key ON users (drift_fold(email));
CREATE UNIQUE INDEX users_microsoft_id_key ON users (microsoft_id) WHERE microsoft_id IS NOT NULL;
CREATE INDEX users_tenant_username_idx ON users (tenant_id, username, id);
CREATE INDEX users_tenant_created_at_idx ON users (tenant_id, created_at, id);
CREATE INDEX users_role_id_idx ON users (role_id);

CREATE TABLE settings (
    id                    INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant_id             BIGINT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    notification_settings TEXT   NOT NULL CHECK (json_valid(notification_settings)),
    polling_settings      TEXT   NOT NULL CHECK (json_valid(polling_settings)),
    drift_thresholds      TEXT   NOT NULL CHECK (json_valid(drift_thresholds)),
    last_updated          TEXT   NOT NULL
);
CREATE INDEX settings_tenant_last_updated_idx ON settings (tenant_id, last_updated DESC, id DESC);

CREATE TABLE configurations (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant_id     BIGINT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    source        TEXT   NOT NULL CHECK (source IN ('entra', 'intune', 'arm')),
    resource_type TEXT   NOT NULL,
    resource_id   TEXT   NOT NULL,
    resource_name TEXT   NOT NULL DEFAULT '',
    config_data   TEXT   NOT NULL CHECK (json_valid(config_data)),
    last_updated  TEXT   NOT NULL,
    content_hash  TEXT   NOT NULL,
    deleted_at    TEXT,
    CONSTRAINT configurations_tenant_source_resource_key UNIQUE (tenant_id, source, resource_id)
);
CREATE INDEX configurations_tenant_name_idx ON configurations (tenant_id, resource_name, id);
-- Types are compared case-insensitively (ARM types differ in case between APIs).
CREATE INDEX configurations_tenant_type_idx ON configurations (tenant_id, drift_fold(resource_type), id);
CREATE INDEX configurations_tenant_type_sort_idx ON configurations (tenant_id, resource_type, id);
CREATE INDEX configurations_tenant_last_updated_idx ON configurations (tenant_id, last_updated, id);

CREATE TABLE configuration_history (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    configuration_id BIGINT NOT NULL REFERENCES configurations (id) ON DELETE CASCADE,
    tenant_id        BIGINT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    previous_config  TEXT CHECK (previous_config IS NULL OR json_valid(previous_config)),
    new_config       TEXT CHECK (new_config IS NULL OR json_valid(new_config)),
    changed_at       TEXT NOT NULL,
    change_type      TEXT NOT NULL CHECK (change_type IN ('created', 'updated', 'deleted')),
    changed_by       TEXT NOT NULL DEFAULT 'unknown',
    changed_paths    TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(changed_paths)),
    severity         TEXT CHECK (severity IN ('info', 'low', 'medium', 'high', 'critical'))
);
CREATE INDEX configuration_history_configuration_idx ON configuration_history (configuration_id, changed_at, id);
CREATE INDEX configuration_history_tenant_changed_at_idx ON configuration_history (tenant_id, changed_at, id);
CREATE INDEX configuration_history_tenant_changed_by_idx ON configuration_history (tenant_id, drift_fold(changed_by));

CREATE TABLE signing_logs (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant_id   BIGINT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    log_id      TEXT   NOT NULL,
    "timestamp" TEXT   NOT NULL,
    actor       TEXT,
    action      TEXT,
    resource    TEXT,
    status      TEXT   NOT NULL,
    client_ip   TEXT,
    log_data    TEXT   NOT NULL CHECK (json_valid(log_data)),
    ingested_at TEXT   NOT NULL,
    CONSTRAINT signing_logs_tenant_log_id_key UNIQUE (tenant_id, log_id)
);
CREATE INDEX signing_logs_tenant_timestamp_idx ON signing_logs (tenant_id, "timestamp", id);
CREATE INDEX signing_logs_tenant_actor_idx ON signing_logs (tenant_id, drift_fold(actor));
CREATE INDEX signing_logs_tenant_status_idx ON signing_logs (tenant_id, status);
CREATE INDEX signing_logs_tenant_client_ip_idx ON signing_logs (tenant_id, client_ip);
CREATE INDEX signing_logs_tenant_action_idx ON signing_logs (tenant_id, drift_fold(action));
