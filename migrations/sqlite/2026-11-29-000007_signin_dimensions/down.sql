DROP INDEX signing_logs_tenant_country_idx;
DROP INDEX signing_logs_tenant_summary_idx;
ALTER TABLE signing_logs DROP COLUMN error_code;
ALTER TABLE signing_logs DROP COLUMN country;
