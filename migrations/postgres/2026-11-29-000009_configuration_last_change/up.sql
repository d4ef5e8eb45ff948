-- The newest change of each configuration, kept on the row so that the configurations table of
-- the web app can show and sort "last changed" without a per-row history lookup. Maintained by
-- the worker in the same transaction as the history row it summarises; null while the resource
-- has no history (it is still as the baseline found it).
ALTER TABLE configurations
    ADD COLUMN last_change_at       TIMESTAMPTZ,
    ADD COLUMN last_change_type     TEXT CHECK (last_change_type IN ('created', 'updated', 'deleted')),
    ADD COLUMN last_change_severity TEXT CHECK (last_change_severity IN ('info', 'low', 'medium', 'high', 'critical'));

UPDATE configurations AS c
   SET last_change_at = h.changed_at,
       last_change_type = h.change_type,
       last_change_severity = h.severity
  FROM (SELECT DISTINCT ON (configuration_id) configuration_id, changed_at, change_type, severity
          FROM configuration_history
         ORDER BY configuration_id, changed_at DESC, id DESC) AS h
 WHERE h.configuration_id = c.id;

-- Keyset pagination by last change: never-changed rows (null) sort after the others.
CREATE INDEX configurations_tenant_last_change_idx
    ON configurations (tenant_id, (last_change_at IS NULL), last_change_at, id);
