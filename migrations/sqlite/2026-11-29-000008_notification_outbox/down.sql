DROP INDEX configuration_history_pending_idx;
ALTER TABLE configuration_history DROP COLUMN notify_lease_expires_at;
ALTER TABLE configuration_history DROP COLUMN notify_lease_owner;
ALTER TABLE configuration_history DROP COLUMN notified_at;
