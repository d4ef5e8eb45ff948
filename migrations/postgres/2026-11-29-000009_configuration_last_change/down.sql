DROP INDEX configurations_tenant_last_change_idx;
ALTER TABLE configurations
    DROP COLUMN last_change_severity,
    DROP COLUMN last_change_type,
    DROP COLUMN last_change_at;
