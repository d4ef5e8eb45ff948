ALTER TABLE settings DROP COLUMN saved_by;
