-- The delivery log of notifications: one row per message sent (or given up on) to a channel.
-- It holds no secrets: channel URLs and SMTP credentials are never stored here, and errors are
-- written with URLs reduced to scheme and host.
CREATE TABLE notification_deliveries (
    id              BIGSERIAL PRIMARY KEY,
    tenant_id       BIGINT      NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    channel_name    TEXT        NOT NULL CHECK (length(channel_name) BETWEEN 1 AND 100),
    channel_kind    TEXT        NOT NULL CHECK (channel_kind IN ('webhook', 'teams', 'slack', 'email')),
    -- The configuration_history ids announced (a JSON array; empty for a test message).
    history_ids     JSONB       NOT NULL CHECK (jsonb_typeof(history_ids) = 'array'),
    digest          BOOLEAN     NOT NULL DEFAULT FALSE,
    status          TEXT        NOT NULL CHECK (status IN ('delivered', 'failed')),
    attempts        INTEGER     NOT NULL CHECK (attempts >= 0),
    last_error      TEXT,
    response_status INTEGER,
    created_at      TIMESTAMPTZ NOT NULL,
    delivered_at    TIMESTAMPTZ
);
CREATE INDEX notification_deliveries_tenant_created_idx
    ON notification_deliveries (tenant_id, created_at, id);
CREATE INDEX notification_deliveries_channel_idx
    ON notification_deliveries (tenant_id, channel_name, created_at);
