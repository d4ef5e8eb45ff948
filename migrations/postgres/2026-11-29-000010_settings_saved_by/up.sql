-- Who saved each settings version (the caller as audit lines describe it), for the settings history.
ALTER TABLE settings ADD COLUMN saved_by TEXT;
