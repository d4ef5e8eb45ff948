-- The delivery log of notifications (the same table as the PostgreSQL migration of this name;
-- timestamps are ISO 8601 UTC text, history_ids JSON text).
-- It holds no secrets: channel URLs and SMTP credentials are never stored here, and errors are
-- written with URLs reduced to scheme and host.
CREATE TABLE notification_deliveries (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant_id       BIGINT  NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    channel_name    TEXT    NOT NULL CHECK (length(channel_name) BETWEEN 1 AND 100),
    channel_kind    TEXT    NOT NULL CHECK (channel_kind IN ('webhook', 'teams', 'slack', 'email')),
    -- The configuration_history ids announced (a JSON array; empty for a test message).
    history_ids     TEXT    NOT NULL CHECK (json_valid(history_ids) AND json_type(history_ids) = 'array'),
    digest          BOOLEAN NOT NULL DEFAULT 0,
    status          TEXT    NOT NULL CHECK (status IN ('delivered', 'failed')),
    attempts        INTEGER NOT NULL CHECK (attempts >= 0),
    last_error      TEXT,
    response_status INTEGER,
    created_at      TEXT    NOT NULL,
    delivered_at    TEXT
);
CREATE INDEX notification_deliveries_tenant_created_idx
    ON notification_deliveries (tenant_id, created_at, id);
CREATE INDEX notification_deliveries_channel_idx
    ON notification_deliveries (tenant_id, channel_name, created_at);
