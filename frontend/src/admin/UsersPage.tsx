// Users of the tenant: list, create with a role, edit role / active / details, set a new
// password, delete. The API refuses escalations (a role above the caller's) in words we show.
import { useState } from "react";
import { keepPreviousData, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { api, unwrap, type Schemas } from "../api/client";
import { useSession } from "../auth/SessionProvider";
import { useTenantId } from "../tenant/useTenantId";
import { ConfirmDialog, Dialog } from "../ui/Dialog";
import { FieldErrorsProvider } from "../ui/fieldErrors";
import { CheckField, SelectField, TextField } from "../ui/fields";
import { formatDateTime, formatRelative } from "../ui/format";
import { Pager, PAGER_RESET, useCursorPaging } from "../ui/Pager";
import { Empty, ErrorPanel, Loading } from "../ui/states";
import { enumParam, stringParam, useQueryState } from "../ui/useQueryState";
import { fieldErrorsOf, refusal, useRoles } from "./common";

type User = Schemas["User"];
type UserBody = Schemas["UserInput"];

const FILTERS = { q: stringParam(), active: enumParam(["", "true", "false"] as const, "") };

export function UsersPage() {
  const tenantId = useTenantId();
  const { can, identity } = useSession();
  const canManage = can("users:manage");
  const [filters, setFilters] = useQueryState(FILTERS);
  const paging = useCursorPaging();
  const [editing, setEditing] = useState<User | "new" | null>(null);
  const [deleting, setDeleting] = useState<User | null>(null);
  const [search, setSearch] = useState(filters.q);

  const users = useQuery({
    queryKey: ["users", tenantId, filters, paging.cursor],
    queryFn: async () =>
      unwrap(
        await api.GET("/api/v1/tenants/{tenant_id}/users", {
          params: {
            path: { tenant_id: tenantId },
            query: {
              search: filters.q || undefined,
              active: filters.active === "" ? undefined : filters.active === "true",
              limit: 100,
              cursor: paging.cursor,
              sort: "username",
            },
          },
        }),
      ),
    placeholderData: keepPreviousData,
  });

  return (
    <div>
      <div className="page-head">
        <h1>Users</h1>
        {canManage && (
          <button type="button" className="primary" onClick={() => setEditing("new")}>
            New user
          </button>
        )}
      </div>
      <form
        className="toolbar"
        role="search"
        aria-label="Find users"
        onSubmit={(e) => {
          e.preventDefault();
          setFilters({ q: search.trim() }, { drop: PAGER_RESET });
        }}
      >
        <label>
          Name or e-mail
          <input type="search" value={search} onChange={(e) => setSearch(e.target.value)} />
        </label>
        <label>
          Status
          <select value={filters.active} onChange={(e) => setFilters({ active: e.target.value as "" | "true" | "false" }, { drop: PAGER_RESET })}>
            <option value="">All</option>
            <option value="true">Active</option>
            <option value="false">Inactive</option>
          </select>
        </label>
        <button type="submit">Search</button>
      </form>
      {users.isPending ? (
        <Loading what="Loading users" />
      ) : users.isError ? (
        <ErrorPanel error={users.error} retry={() => void users.refetch()} />
      ) : users.data.items.length === 0 ? (
        <Empty title="No users match">{filters.q ? "Try another name." : null}</Empty>
      ) : (
        <>
          <div className="table-wrap">
            <table>
              <thead>
                <tr>
                  <th scope="col">Username</th>
                  <th scope="col">Name</th>
                  <th scope="col">E-mail</th>
                  <th scope="col">Role</th>
                  <th scope="col">Status</th>
                  <th scope="col">Last sign-in</th>
                  {canManage && (
                    <th scope="col">
                      <span className="visually-hidden">Actions</span>
                    </th>
                  )}
                </tr>
              </thead>
              <tbody>
                {users.data.items.map((user) => (
                  <tr key={user.id}>
                    <th scope="row">
                      {user.username}
                      {user.id === identity?.user?.id && <span className="muted"> (you)</span>}
                    </th>
                    <td>{[user.first_name, user.last_name].filter(Boolean).join(" ") || "—"}</td>
                    <td className="wrap">{user.email}</td>
                    <td>{user.role}</td>
                    <td>{user.active ? <span className="status-ok">Active</span> : <span className="muted">Inactive</span>}</td>
                    <td title={formatDateTime(user.last_login)}>{user.last_login ? formatRelative(user.last_login) : "Never"}</td>
                    {canManage && (
                      <td>
                        <div className="row-actions">
                          <button type="button" onClick={() => setEditing(user)} aria-label={`Edit ${user.username}`}>
                            Edit
                          </button>
                          <button
                            type="button"
                            className="danger"
                            onClick={() => setDeleting(user)}
                            disabled={user.id === identity?.user?.id}
                            aria-label={`Delete ${user.username}`}
                          >
                            Delete
                          </button>
                        </div>
                      </td>
                    )}
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          {(paging.hasPrevious || users.data.next_cursor) && (
            <Pager paging={paging} count={users.data.items.length} nextCursor={users.data.next_cursor} limit={100} busy={users.isFetching} noun="users" />
          )}
        </>
      )}
      {editing && <UserDialog tenantId={tenantId} user={editing === "new" ? null : editing} onClose={() => setEditing(null)} />}
      {deleting && <DeleteUser tenantId={tenantId} user={deleting} onClose={() => setDeleting(null)} />}
    </div>
  );
}

function UserDialog({ tenantId, user, onClose }: { tenantId: number; user: User | null; onClose(): void }) {
  const queryClient = useQueryClient();
  const roles = useRoles();
  const [form, setForm] = useState({
    username: user?.username ?? "",
    email: user?.email ?? "",
    first_name: user?.first_name ?? "",
    last_name: user?.last_name ?? "",
    role_id: user?.role_id ?? 0,
    active: user?.active ?? true,
    password: "",
  });
  const set = (patch: Partial<typeof form>) => setForm((f) => ({ ...f, ...patch }));
  const save = useMutation({
    mutationFn: async () => {
      const body: UserBody = {
        username: form.username.trim(),
        email: form.email.trim(),
        first_name: form.first_name.trim() || null,
        last_name: form.last_name.trim() || null,
        role_id: form.role_id,
        active: form.active,
        microsoft_id: user?.microsoft_id ?? null,
      };
      if (form.password) body.password = form.password;
      return user
        ? unwrap(await api.PUT("/api/v1/tenants/{tenant_id}/users/{id}", { params: { path: { tenant_id: tenantId, id: user.id } }, body }))
        : unwrap(await api.POST("/api/v1/tenants/{tenant_id}/users", { params: { path: { tenant_id: tenantId } }, body }));
    },
    onSuccess: () => {
      void queryClient.invalidateQueries({ queryKey: ["users", tenantId] });
      onClose();
    },
  });
  const roleOptions = [
    ...(form.role_id ? [] : [{ value: "0", label: "Choose a role…" }]),
    ...(roles.data?.items ?? []).map((r) => ({ value: String(r.id), label: r.name })),
  ];
  const [chooseRole, setChooseRole] = useState(false);
  // Nothing to ask the server about until a role is chosen.
  const fieldErrors =
    chooseRole && !form.role_id ? [{ field: "role_id", code: "required", message: "Choose a role." }] : fieldErrorsOf(save.error);

  return (
    <Dialog
      title={user ? `Edit ${user.username}` : "New user"}
      onClose={onClose}
      footer={
        <>
          <button type="button" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" form="user-form" className="primary" disabled={save.isPending}>
            {save.isPending ? "Saving…" : user ? "Save" : "Create user"}
          </button>
        </>
      }
    >
      <FieldErrorsProvider errors={fieldErrors}>
        <form
          id="user-form"
          noValidate
          onSubmit={(e) => {
            e.preventDefault();
            setChooseRole(!form.role_id);
            if (form.role_id) save.mutate();
          }}
        >
          {(save.isError || fieldErrors.length > 0) && (
            <p className="form-error" role="alert">
              {fieldErrors.length ? "Some fields need fixing." : refusal(save.error)}
            </p>
          )}
          <TextField path="username" label="Username" autoComplete="off" value={form.username} onChange={(username) => set({ username })} />
          <TextField path="email" label="E-mail" type="email" autoComplete="off" value={form.email} onChange={(email) => set({ email })} />
          <div className="form-grid">
            <TextField path="first_name" label="First name" value={form.first_name} onChange={(first_name) => set({ first_name })} />
            <TextField path="last_name" label="Last name" value={form.last_name} onChange={(last_name) => set({ last_name })} />
          </div>
          {roles.isError ? (
            <p className="form-error">The roles could not be loaded: {refusal(roles.error)}</p>
          ) : (
            <SelectField
              path="role_id"
              label="Role"
              value={String(form.role_id)}
              options={roleOptions}
              onChange={(id) => set({ role_id: Number(id) })}
              hint="You can give roles up to your own."
            />
          )}
          <CheckField path="active" label="Active (can sign in)" checked={form.active} onChange={(active) => set({ active })} />
          <TextField
            path="password"
            label={user ? "New password" : "Password"}
            type="password"
            autoComplete="new-password"
            value={form.password}
            onChange={(password) => set({ password })}
            hint={
              user
                ? "Leave empty to keep the current password. 12 to 128 characters."
                : "12 to 128 characters. Leave empty for a user who signs in with Microsoft only."
            }
          />
        </form>
      </FieldErrorsProvider>
    </Dialog>
  );
}

function DeleteUser({ tenantId, user, onClose }: { tenantId: number; user: User; onClose(): void }) {
  const queryClient = useQueryClient();
  const remove = useMutation({
    mutationFn: async () =>
      unwrap(await api.DELETE("/api/v1/tenants/{tenant_id}/users/{id}", { params: { path: { tenant_id: tenantId, id: user.id } } })),
    onSuccess: () => {
      void queryClient.invalidateQueries({ queryKey: ["users", tenantId] });
      onClose();
    },
  });
  return (
    <ConfirmDialog
      title={`Delete ${user.username}?`}
      confirmLabel="Delete user"
      busy={remove.isPending}
      error={remove.isError ? refusal(remove.error) : undefined}
      onConfirm={() => remove.mutate()}
      onClose={onClose}
    >
      {user.username} ({user.email}) will no longer be able to sign in. This cannot be undone; to block a user for a
      while, make them inactive instead.
    </ConfirmDialog>
  );
}
