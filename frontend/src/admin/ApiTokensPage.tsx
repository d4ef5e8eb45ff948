// API tokens for integrations: list, create with a role and an expiry, revoke. A new token's
// secret is shown once, in a dialog, and is dropped from memory when the dialog closes.
import { useState } from "react";
import { keepPreviousData, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { api, unwrap, type Schemas } from "../api/client";
import { useTenantId } from "../tenant/useTenantId";
import { ConfirmDialog, Dialog } from "../ui/Dialog";
import { FieldErrorsProvider } from "../ui/fieldErrors";
import { NumberField, SelectField, TextField } from "../ui/fields";
import { formatDateTime, formatRelative } from "../ui/format";
import { Pager, PAGER_RESET, useCursorPaging } from "../ui/Pager";
import { Empty, ErrorPanel, Loading } from "../ui/states";
import { enumParam, useQueryState } from "../ui/useQueryState";
import { fieldErrorsOf, refusal, useRoles } from "./common";

type Token = Schemas["ApiToken"];
type CreatedToken = Schemas["CreatedApiToken"];

const FILTERS = { show: enumParam(["active", "all"] as const, "active") };

function tokenState(token: Token, now = Date.now()): { label: string; className: string } {
  if (token.revoked_at) return { label: `Revoked ${formatRelative(token.revoked_at)}`, className: "muted" };
  if (token.expires_at && new Date(token.expires_at).getTime() <= now) return { label: "Expired", className: "status-failing" };
  return { label: "Active", className: "status-ok" };
}

export function ApiTokensPage() {
  const tenantId = useTenantId();
  const [filters, setFilters] = useQueryState(FILTERS);
  const paging = useCursorPaging();
  const [creating, setCreating] = useState(false);
  const [created, setCreated] = useState<CreatedToken | null>(null);
  const [revoking, setRevoking] = useState<Token | null>(null);

  const tokens = useQuery({
    queryKey: ["api-tokens", tenantId, filters.show, paging.cursor],
    queryFn: async () =>
      unwrap(
        await api.GET("/api/v1/tenants/{tenant_id}/api-tokens", {
          params: {
            path: { tenant_id: tenantId },
            query: { revoked: filters.show === "active" ? false : undefined, limit: 100, cursor: paging.cursor },
          },
        }),
      ),
    placeholderData: keepPreviousData,
  });

  return (
    <div>
      <div className="page-head">
        <h1>API tokens</h1>
        <button type="button" className="primary" onClick={() => setCreating(true)}>
          New API token
        </button>
      </div>
      <p className="muted">
        Integrations call the REST API with a token as <code>Authorization: Bearer &lt;secret&gt;</code>. A token carries one role’s
        permissions.
      </p>
      <div className="toolbar">
        <label className="checkbox">
          <input
            type="checkbox"
            checked={filters.show === "all"}
            onChange={(e) => setFilters({ show: e.target.checked ? "all" : "active" }, { drop: PAGER_RESET })}
          />
          Show revoked tokens
        </label>
      </div>
      {tokens.isPending ? (
        <Loading what="Loading API tokens" />
      ) : tokens.isError ? (
        <ErrorPanel error={tokens.error} retry={() => void tokens.refetch()} />
      ) : tokens.data.items.length === 0 ? (
        <Empty title="No API tokens">Create one for each integration, so each can be revoked on its own.</Empty>
      ) : (
        <>
          <div className="table-wrap">
            <table>
              <thead>
                <tr>
                  <th scope="col">Name</th>
                  <th scope="col">Role</th>
                  <th scope="col">Created</th>
                  <th scope="col">Expires</th>
                  <th scope="col">Last used</th>
                  <th scope="col">Status</th>
                  <th scope="col">
                    <span className="visually-hidden">Actions</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {tokens.data.items.map((token) => {
                  const state = tokenState(token);
                  return (
                    <tr key={token.id}>
                      <th scope="row">{token.name}</th>
                      <td>{token.role}</td>
                      <td title={formatDateTime(token.created_at)}>{formatRelative(token.created_at)}</td>
                      <td>{token.expires_at ? formatDateTime(token.expires_at) : "Never"}</td>
                      <td>{token.last_used_at ? formatRelative(token.last_used_at) : "Never"}</td>
                      <td className={state.className}>{state.label}</td>
                      <td>
                        {!token.revoked_at && (
                          <button type="button" className="danger" onClick={() => setRevoking(token)} aria-label={`Revoke ${token.name}`}>
                            Revoke
                          </button>
                        )}
                      </td>
                    </tr>
                  );
                })}
              </tbody>
            </table>
          </div>
          {(paging.hasPrevious || tokens.data.next_cursor) && (
            <Pager paging={paging} count={tokens.data.items.length} nextCursor={tokens.data.next_cursor} limit={100} busy={tokens.isFetching} noun="tokens" />
          )}
        </>
      )}
      {creating && (
        <CreateTokenDialog
          tenantId={tenantId}
          onClose={() => setCreating(false)}
          onCreated={(token) => {
            setCreating(false);
            setCreated(token);
          }}
        />
      )}
      {created && <SecretDialog token={created} onClose={() => setCreated(null)} />}
      {revoking && <RevokeToken tenantId={tenantId} token={revoking} onClose={() => setRevoking(null)} />}
    </div>
  );
}

const EXPIRIES = [
  { value: "30", label: "30 days" },
  { value: "90", label: "90 days" },
  { value: "365", label: "1 year" },
  { value: "custom", label: "Custom…" },
  { value: "never", label: "Never" },
];

function CreateTokenDialog({ tenantId, onClose, onCreated }: { tenantId: number; onClose(): void; onCreated(token: CreatedToken): void }) {
  const queryClient = useQueryClient();
  const roles = useRoles();
  const [name, setName] = useState("");
  const [roleId, setRoleId] = useState(0);
  const [expiry, setExpiry] = useState("90");
  const [days, setDays] = useState<number | null>(180);
  const create = useMutation({
    mutationFn: async () =>
      unwrap(
        await api.POST("/api/v1/tenants/{tenant_id}/api-tokens", {
          params: { path: { tenant_id: tenantId } },
          body: {
            name: name.trim(),
            role_id: roleId,
            expires_in_days: expiry === "never" ? null : expiry === "custom" ? (days as number) : Number(expiry),
          },
        }),
      ),
    onSuccess: (token) => {
      void queryClient.invalidateQueries({ queryKey: ["api-tokens", tenantId] });
      // The secret goes to the dialog only; the mutation forgets it.
      create.reset();
      onCreated(token);
    },
  });
  const [chooseRole, setChooseRole] = useState(false);
  // Nothing to ask the server about until a role is chosen.
  const fieldErrors =
    chooseRole && !roleId ? [{ field: "role_id", code: "required", message: "Choose a role." }] : fieldErrorsOf(create.error);
  const roleOptions = [
    ...(roleId ? [] : [{ value: "0", label: "Choose a role…" }]),
    ...(roles.data?.items ?? []).map((r) => ({ value: String(r.id), label: r.name })),
  ];

  return (
    <Dialog
      title="New API token"
      onClose={onClose}
      footer={
        <>
          <button type="button" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" form="token-form" className="primary" disabled={create.isPending}>
            {create.isPending ? "Creating…" : "Create token"}
          </button>
        </>
      }
    >
      <FieldErrorsProvider errors={fieldErrors}>
        <form
          id="token-form"
          noValidate
          onSubmit={(e) => {
            e.preventDefault();
            setChooseRole(!roleId);
            if (roleId) create.mutate();
          }}
        >
          {(create.isError || fieldErrors.length > 0) && (
            <p className="form-error" role="alert">
              {fieldErrors.length ? "Some fields need fixing." : refusal(create.error)}
            </p>
          )}
          <TextField path="name" label="Name" placeholder="SIEM export" hint="What the token is for." autoComplete="off" value={name} onChange={setName} />
          <SelectField
            path="role_id"
            label="Role"
            value={String(roleId)}
            options={roleOptions}
            onChange={(id) => setRoleId(Number(id))}
            hint="The token can do what this role allows; at most what your own role allows."
          />
          <SelectField path="expiry" label="Expires after" value={expiry} options={EXPIRIES} onChange={setExpiry} />
          {expiry === "custom" && (
            <NumberField path="expires_in_days" label="Days until it expires" min={1} max={3650} hint="1 to 3650" value={days} onChange={setDays} />
          )}
        </form>
      </FieldErrorsProvider>
    </Dialog>
  );
}

/** The one time the secret is shown. */
export function SecretDialog({ token, onClose }: { token: CreatedToken; onClose(): void }) {
  const [copied, setCopied] = useState<"no" | "yes" | "failed">("no");
  return (
    <Dialog
      title={`API token “${token.name}” created`}
      onClose={onClose}
      closeOnBackdrop={false}
      footer={
        <button type="button" className="primary" onClick={onClose}>
          I have stored the secret
        </button>
      }
    >
      <p className="notice" role="note">
        <strong>Copy the secret now: you will not see it again.</strong> Only a hash is kept on the server; if it is lost, revoke
        this token and create another.
      </p>
      <div className="secret-box">
        <code aria-label="Token secret" data-testid="token-secret">
          {token.secret}
        </code>
        <button
          type="button"
          onClick={() =>
            void (navigator.clipboard?.writeText(token.secret) ?? Promise.reject(new Error("no clipboard"))).then(
              () => setCopied("yes"),
              () => setCopied("failed"),
            )
          }
        >
          {copied === "yes" ? "Copied" : "Copy"}
        </button>
      </div>
      <p role="status" className="muted">
        {copied === "failed" ? "The browser did not allow copying: select the secret and copy it by hand." : copied === "yes" ? "Copied to the clipboard." : ""}
      </p>
      <p className="muted">
        Role {token.role}; {token.expires_at ? `expires ${formatDateTime(token.expires_at)}` : "never expires"}.
      </p>
    </Dialog>
  );
}

function RevokeToken({ tenantId, token, onClose }: { tenantId: number; token: Token; onClose(): void }) {
  const queryClient = useQueryClient();
  const revoke = useMutation({
    mutationFn: async () =>
      unwrap(await api.DELETE("/api/v1/tenants/{tenant_id}/api-tokens/{id}", { params: { path: { tenant_id: tenantId, id: token.id } } })),
    onSuccess: () => {
      void queryClient.invalidateQueries({ queryKey: ["api-tokens", tenantId] });
      onClose();
    },
  });
  return (
    <ConfirmDialog
      title={`Revoke ${token.name}?`}
      confirmLabel="Revoke token"
      busy={revoke.isPending}
      error={revoke.isError ? refusal(revoke.error) : undefined}
      onConfirm={() => revoke.mutate()}
      onClose={onClose}
    >
      Integrations using this token stop working at once. Revoked tokens stay listed for the record.
    </ConfirmDialog>
  );
}
