DROP INDEX configurations_tenant_last_change_idx;
ALTER TABLE configurations DROP COLUMN last_change_severity;
ALTER TABLE configurations DROP COLUMN last_change_type;
ALTER TABLE configurations DROP COLUMN last_change_at;
