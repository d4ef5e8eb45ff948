-- Two dimensions of a sign-in event as columns (the same as the PostgreSQL migration of this
-- name): the country (`location.countryOrRegion`) and the error code (`status.errorCode`, 0 for
-- a success), read from the stored event (JSON text) for the rows ingested before this
-- migration; the worker sets them from now on.
ALTER TABLE signing_logs ADD COLUMN country TEXT;
ALTER TABLE signing_logs ADD COLUMN error_code INTEGER;

UPDATE signing_logs SET
    country = CASE WHEN json_type(log_data, '$.location.countryOrRegion') = 'text'
                   THEN NULLIF(json_extract(log_data, '$.location.countryOrRegion'), '') END,
    error_code = CASE
        WHEN json_type(log_data, '$.status.errorCode') <> 'integer' THEN NULL
        WHEN json_extract(log_data, '$.status.errorCode') NOT BETWEEN -2147483648 AND 2147483647 THEN NULL
        ELSE json_extract(log_data, '$.status.errorCode')
    END;

-- The summary reads only these columns of the window: a covering index range scan, without
-- reading the (large) stored events.
CREATE INDEX signing_logs_tenant_summary_idx
    ON signing_logs (tenant_id, "timestamp", status, error_code, country, action);
CREATE INDEX signing_logs_tenant_country_idx ON signing_logs (tenant_id, country, "timestamp");
