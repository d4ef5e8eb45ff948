-- The notification outbox (the same columns as the PostgreSQL migration of this name;
-- timestamps are ISO 8601 UTC text).
ALTER TABLE configuration_history ADD COLUMN notified_at TEXT;
ALTER TABLE configuration_history ADD COLUMN notify_lease_owner TEXT;
ALTER TABLE configuration_history ADD COLUMN notify_lease_expires_at TEXT;
UPDATE configuration_history SET notified_at = changed_at;
CREATE INDEX configuration_history_pending_idx ON configuration_history (tenant_id, id)
    WHERE notified_at IS NULL;
