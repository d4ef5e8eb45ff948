-- The newest change of each configuration (the same columns as the PostgreSQL migration of this
-- name; the timestamp is ISO 8601 UTC text). Null while the resource has no history.
ALTER TABLE configurations ADD COLUMN last_change_at TEXT;
ALTER TABLE configurations ADD COLUMN last_change_type TEXT
    CHECK (last_change_type IN ('created', 'updated', 'deleted'));
ALTER TABLE configurations ADD COLUMN last_change_severity TEXT
    CHECK (last_change_severity IN ('info', 'low', 'medium', 'high', 'critical'));

UPDATE configurations
   SET last_change_at = (SELECT h.changed_at FROM configuration_history h
                          WHERE h.configuration_id = configurations.id
                          ORDER BY h.changed_at DESC, h.id DESC LIMIT 1),
       last_change_type = (SELECT h.change_type FROM configuration_history h
                            WHERE h.configuration_id = configurations.id
                            ORDER BY h.changed_at DESC, h.id DESC LIMIT 1),
       last_change_severity = (SELECT h.severity FROM configuration_history h
                                WHERE h.configuration_id = configurations.id
                                ORDER BY h.changed_at DESC, h.id DESC LIMIT 1);

-- Keyset pagination by last change: never-changed rows (null) sort after the others.
CREATE INDEX configurations_tenant_last_change_idx
    ON configurations (tenant_id, (last_change_at IS NULL), last_change_at, id);
