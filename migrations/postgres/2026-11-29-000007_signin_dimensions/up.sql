-- Two dimensions of a sign-in event as columns, so that lists filter and summaries group by
-- them in SQL: the country (`location.countryOrRegion`, an ISO 3166 alpha-2 code) and the
-- error code (`status.errorCode`, 0 for a success). Both are read from the stored event for the
-- rows ingested before this migration; the worker sets them from now on.
ALTER TABLE signing_logs ADD COLUMN country TEXT, ADD COLUMN error_code INTEGER;

UPDATE signing_logs SET
    country = NULLIF(CASE WHEN jsonb_typeof(log_data #> '{location,countryOrRegion}') = 'string'
                          THEN log_data #>> '{location,countryOrRegion}' END, ''),
    error_code = CASE
        WHEN jsonb_typeof(log_data #> '{status,errorCode}') <> 'number' THEN NULL
        WHEN (log_data #>> '{status,errorCode}')::numeric NOT BETWEEN -2147483648 AND 2147483647 THEN NULL
        ELSE (log_data #>> '{status,errorCode}')::numeric::integer
    END;

-- The summary reads only these columns of the window: an index-only range scan, without
-- touching the (large) stored events.
CREATE INDEX signing_logs_tenant_summary_idx
    ON signing_logs (tenant_id, "timestamp", status, error_code, country, action);
CREATE INDEX signing_logs_tenant_country_idx ON signing_logs (tenant_id, country, "timestamp");
