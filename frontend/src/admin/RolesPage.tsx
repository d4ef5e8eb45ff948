// Roles and the permissions each grants. Built-in roles are read-only; custom roles can be
// created, edited (a permission checklist) and deleted by whoever holds roles:manage.
import { useState } from "react";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { api, unwrap } from "../api/client";
import { useSession } from "../auth/SessionProvider";
import { ConfirmDialog, Dialog } from "../ui/Dialog";
import { FieldErrors, FieldErrorsProvider } from "../ui/fieldErrors";
import { TextField } from "../ui/fields";
import { Empty, ErrorPanel, Loading } from "../ui/states";
import { fieldErrorsOf, PERMISSION_GROUPS, refusal, useRoles, type Permission, type Role } from "./common";

export function RolesPage() {
  const { can } = useSession();
  const canManage = can("roles:manage");
  const roles = useRoles();
  const [editing, setEditing] = useState<Role | "new" | null>(null);
  const [deleting, setDeleting] = useState<Role | null>(null);

  return (
    <div>
      <div className="page-head">
        <h1>Roles and permissions</h1>
        {canManage && (
          <button type="button" className="primary" onClick={() => setEditing("new")}>
            New role
          </button>
        )}
      </div>
      <p className="muted">Roles are shared by all tenants. Built-in roles cannot be changed or deleted.</p>
      {roles.isPending ? (
        <Loading what="Loading roles" />
      ) : roles.isError ? (
        <ErrorPanel error={roles.error} retry={() => void roles.refetch()} />
      ) : roles.data.items.length === 0 ? (
        <Empty title="No roles" />
      ) : (
        <div className="table-wrap">
          <table>
            <thead>
              <tr>
                <th scope="col">Role</th>
                <th scope="col">Description</th>
                <th scope="col">Permissions</th>
                {canManage && (
                  <th scope="col">
                    <span className="visually-hidden">Actions</span>
                  </th>
                )}
              </tr>
            </thead>
            <tbody>
              {roles.data.items.map((role) => (
                <tr key={role.id}>
                  <th scope="row">
                    {role.name} {role.built_in && <span className="badge">Built-in</span>}
                  </th>
                  <td>{role.description || "—"}</td>
                  <td>
                    <ul className="perm-list" aria-label={`Permissions of ${role.name}`}>
                      {role.permissions.length === 0 && <li className="muted">None</li>}
                      {role.permissions.map((p) => (
                        <li key={p} className="badge">
                          {p}
                        </li>
                      ))}
                    </ul>
                  </td>
                  {canManage && (
                    <td>
                      {role.built_in ? (
                        <span className="muted nowrap">Read-only</span>
                      ) : (
                        <div className="row-actions">
                          <button type="button" onClick={() => setEditing(role)} aria-label={`Edit ${role.name}`}>
                            Edit
                          </button>
                          <button type="button" className="danger" onClick={() => setDeleting(role)} aria-label={`Delete ${role.name}`}>
                            Delete
                          </button>
                        </div>
                      )}
                    </td>
                  )}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {editing && <RoleDialog role={editing === "new" ? null : editing} onClose={() => setEditing(null)} />}
      {deleting && <DeleteRole role={deleting} onClose={() => setDeleting(null)} />}
    </div>
  );
}

function RoleDialog({ role, onClose }: { role: Role | null; onClose(): void }) {
  const queryClient = useQueryClient();
  const [name, setName] = useState(role?.name ?? "");
  const [description, setDescription] = useState(role?.description ?? "");
  const [permissions, setPermissions] = useState<Set<Permission>>(new Set(role?.permissions ?? []));
  const save = useMutation({
    mutationFn: async () => {
      const body = { name: name.trim(), description: description.trim(), permissions: [...permissions] };
      return role
        ? unwrap(await api.PUT("/api/v1/roles/{id}", { params: { path: { id: role.id } }, body }))
        : unwrap(await api.POST("/api/v1/roles", { body }));
    },
    onSuccess: () => {
      void queryClient.invalidateQueries({ queryKey: ["roles"] });
      onClose();
    },
  });
  const toggle = (p: Permission, on: boolean) =>
    setPermissions((current) => {
      const next = new Set(current);
      if (on) next.add(p);
      else next.delete(p);
      return next;
    });
  const fieldErrors = fieldErrorsOf(save.error);

  return (
    <Dialog
      title={role ? `Edit role ${role.name}` : "New role"}
      onClose={onClose}
      footer={
        <>
          <button type="button" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" form="role-form" className="primary" disabled={save.isPending}>
            {save.isPending ? "Saving…" : role ? "Save" : "Create role"}
          </button>
        </>
      }
    >
      <FieldErrorsProvider errors={fieldErrors} targetOf={(e) => (e.field.startsWith("permissions") ? "permissions" : e.field)}>
        <form
          id="role-form"
          noValidate
          onSubmit={(e) => {
            e.preventDefault();
            save.mutate();
          }}
        >
          {save.isError && (
            <p className="form-error" role="alert">
              {fieldErrors.length ? "Some fields need fixing." : refusal(save.error)}
            </p>
          )}
          <TextField
            path="name"
            label="Name"
            value={name}
            onChange={setName}
            hint="Lower case letters, digits, - and _, starting with a letter (e.g. auditor)."
            autoComplete="off"
          />
          <TextField path="description" label="Description" value={description} onChange={setDescription} />
          <fieldset className="plain" aria-describedby="perm-hint">
            <legend>Permissions</legend>
            <p className="muted" id="perm-hint">
              You can grant only permissions your own role has.
            </p>
            <FieldErrors path="permissions" />
            <div className="perm-grid">
              {PERMISSION_GROUPS.map((group) => (
                <div key={group.title}>
                  <h3>{group.title}</h3>
                  {group.permissions.map(({ permission, label }) => (
                    <label className="checkbox" key={permission}>
                      <input type="checkbox" checked={permissions.has(permission)} onChange={(e) => toggle(permission, e.target.checked)} />
                      {label} <code className="muted">{permission}</code>
                    </label>
                  ))}
                </div>
              ))}
            </div>
          </fieldset>
        </form>
      </FieldErrorsProvider>
    </Dialog>
  );
}

function DeleteRole({ role, onClose }: { role: Role; onClose(): void }) {
  const queryClient = useQueryClient();
  const remove = useMutation({
    mutationFn: async () => unwrap(await api.DELETE("/api/v1/roles/{id}", { params: { path: { id: role.id } } })),
    onSuccess: () => {
      void queryClient.invalidateQueries({ queryKey: ["roles"] });
      onClose();
    },
  });
  return (
    <ConfirmDialog
      title={`Delete role ${role.name}?`}
      confirmLabel="Delete role"
      busy={remove.isPending}
      error={remove.isError ? refusal(remove.error) : undefined}
      onConfirm={() => remove.mutate()}
      onClose={onClose}
    >
      The role is removed for every tenant. The server refuses while users still hold it.
    </ConfirmDialog>
  );
}
