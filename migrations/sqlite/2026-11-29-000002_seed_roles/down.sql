DELETE FROM roles WHERE built_in AND name IN ('superadmin', 'admin', 'operator', 'viewer');
