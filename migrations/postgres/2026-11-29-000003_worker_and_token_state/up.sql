-- State the worker and the authentication layer need (design.md section 3, the last (+) item).

-- One row per (tenant, source) the worker polls: when it runs next, who holds it (a lease that
-- expires, so a dead worker's work is taken over), how the last run went, and for sign-ins
-- the watermark of the newest event ingested.
CREATE TABLE poll_state (
    tenant_id        BIGINT      NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    source           TEXT        NOT NULL CHECK (source IN ('entra', 'intune', 'arm', 'signins')),
    next_run_at      TIMESTAMPTZ NOT NULL,
    lease_owner      TEXT,
    lease_expires_at TIMESTAMPTZ,
    baseline_at      TIMESTAMPTZ,
    last_success_at  TIMESTAMPTZ,
    last_error       TEXT,
    last_error_at    TIMESTAMPTZ,
    signin_watermark TIMESTAMPTZ,
    PRIMARY KEY (tenant_id, source)
);
CREATE INDEX poll_state_due_idx ON poll_state (next_run_at);

-- Rotating refresh tokens of the API's own sessions, stored as hashes. Tokens of one sign-in
-- share a family; reuse of a rotated token revokes the family.
CREATE TABLE refresh_tokens (
    id          BIGSERIAL PRIMARY KEY,
    user_id     BIGINT      NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    family_id   TEXT        NOT NULL,
    token_hash  TEXT        NOT NULL,
    created_at  TIMESTAMPTZ NOT NULL,
    expires_at  TIMESTAMPTZ NOT NULL,
    rotated_at  TIMESTAMPTZ,
    revoked_at  TIMESTAMPTZ,
    CONSTRAINT refresh_tokens_token_hash_key UNIQUE (token_hash)
);
CREATE INDEX refresh_tokens_user_idx ON refresh_tokens (user_id);
CREATE INDEX refresh_tokens_family_idx ON refresh_tokens (family_id);

-- Long-lived API tokens for integrations, scoped to a tenant and a role, stored as hashes.
CREATE TABLE api_tokens (
    id           BIGSERIAL PRIMARY KEY,
    tenant_id    BIGINT      NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    role_id      BIGINT      NOT NULL REFERENCES roles (id) ON DELETE RESTRICT,
    name         TEXT        NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    token_hash   TEXT        NOT NULL,
    created_by   BIGINT      REFERENCES users (id) ON DELETE SET NULL,
    created_at   TIMESTAMPTZ NOT NULL,
    expires_at   TIMESTAMPTZ,
    last_used_at TIMESTAMPTZ,
    revoked_at   TIMESTAMPTZ,
    CONSTRAINT api_tokens_token_hash_key UNIQUE (token_hash)
);
CREATE INDEX api_tokens_tenant_idx ON api_tokens (tenant_id, created_at, id);
CREATE INDEX api_tokens_role_idx ON api_tokens (role_id);
