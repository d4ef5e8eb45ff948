-- The notification outbox: each change (configuration_history row) is pending until its
-- notifications went out (notified_at). A worker claims pending rows with a lease (owner and
-- expiry) so that two workers never send the same change; a crashed worker's lease expires.
-- Which channels already accepted a change is in notification_deliveries (history_ids).
ALTER TABLE configuration_history
    ADD COLUMN notified_at TIMESTAMPTZ,
    ADD COLUMN notify_lease_owner TEXT,
    ADD COLUMN notify_lease_expires_at TIMESTAMPTZ;
-- Changes recorded before the outbox were notified (or not) by the worker of that time.
UPDATE configuration_history SET notified_at = changed_at;
CREATE INDEX configuration_history_pending_idx ON configuration_history (tenant_id, id)
    WHERE notified_at IS NULL;
