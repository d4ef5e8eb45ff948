DROP INDEX configuration_history_pending_idx;
ALTER TABLE configuration_history
    DROP COLUMN notify_lease_expires_at,
    DROP COLUMN notify_lease_owner,
    DROP COLUMN notified_at;
