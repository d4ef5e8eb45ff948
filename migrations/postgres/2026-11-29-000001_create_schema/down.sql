DROP TABLE signing_logs;
DROP TABLE configuration_history;
DROP TABLE configurations;
DROP TABLE settings;
DROP TABLE users;
DROP TABLE roles;
DROP TABLE tenants;
DROP FUNCTION drift_fold(text);
