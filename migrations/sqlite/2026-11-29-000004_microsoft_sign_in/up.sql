-- Microsoft sign-in (OpenID Connect, authorization code + PKCE). Both tables live in the
-- database, not in process memory, so that the callback may reach another API instance than
-- the one that started the sign-in.
-- The same tables as the PostgreSQL migration of this name; timestamps are ISO 8601 UTC text.

-- A sign-in in progress, from the redirect to Microsoft until the callback (ten minutes at
-- most). The callback takes the row by its state, once. The state and the nonce are stored as
-- SHA-256 hashes (they are only compared); the PKCE verifier must be sent to Microsoft, so it
-- is encrypted with the key ring (purpose 'microsoft_logins.pkce_verifier').
CREATE TABLE microsoft_logins (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant_id     BIGINT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    state_hash    TEXT   NOT NULL,
    nonce_hash    TEXT   NOT NULL,
    pkce_verifier TEXT   NOT NULL,
    created_at    TEXT   NOT NULL,
    expires_at    TEXT   NOT NULL,
    CONSTRAINT microsoft_logins_state_hash_key UNIQUE (state_hash)
);
CREATE INDEX microsoft_logins_expires_at_idx ON microsoft_logins (expires_at);
CREATE INDEX microsoft_logins_tenant_idx ON microsoft_logins (tenant_id);

-- The one-time code that hands a completed Microsoft sign-in to the single-page app, which
-- exchanges it for a session (sixty seconds at most, once). Stored as a SHA-256 hash.
CREATE TABLE microsoft_handoffs (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id    BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    code_hash  TEXT   NOT NULL,
    created_at TEXT   NOT NULL,
    expires_at TEXT   NOT NULL,
    CONSTRAINT microsoft_handoffs_code_hash_key UNIQUE (code_hash)
);
CREATE INDEX microsoft_handoffs_expires_at_idx ON microsoft_handoffs (expires_at);
CREATE INDEX microsoft_handoffs_user_idx ON microsoft_handoffs (user_id);
