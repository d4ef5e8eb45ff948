// Tenants of the platform (superadmin): list, create with a name and the Entra tenant id,
// rename, delete after typing the tenant's name.
import { useState } from "react";
import { Link } from "react-router-dom";
import { keepPreviousData, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { api, unwrap, type Schemas } from "../api/client";
import { useSession } from "../auth/SessionProvider";
import { tenantPath } from "../tenant/useTenantId";
import { ConfirmDialog, Dialog } from "../ui/Dialog";
import { FieldErrorsProvider } from "../ui/fieldErrors";
import { TextField } from "../ui/fields";
import { formatDateTime } from "../ui/format";
import { Pager, PAGER_RESET, useCursorPaging } from "../ui/Pager";
import { Empty, ErrorPanel, Loading } from "../ui/states";
import { stringParam, useQueryState } from "../ui/useQueryState";
import { fieldErrorsOf, refusal } from "./common";

type Tenant = Schemas["Tenant"];

const FILTERS = { name: stringParam() };

export function TenantsPage() {
  const { identity } = useSession();
  const [filters, setFilters] = useQueryState(FILTERS);
  const [search, setSearch] = useState(filters.name);
  const paging = useCursorPaging();
  const [editing, setEditing] = useState<Tenant | "new" | null>(null);
  const [deleting, setDeleting] = useState<Tenant | null>(null);

  const tenants = useQuery({
    queryKey: ["tenants", "admin", filters.name, paging.cursor],
    queryFn: async () =>
      unwrap(
        await api.GET("/api/v1/tenants", {
          params: { query: { name: filters.name || undefined, sort: "name", limit: 100, cursor: paging.cursor } },
        }),
      ),
    placeholderData: keepPreviousData,
  });

  return (
    <div>
      <div className="page-head">
        <h1>Tenants</h1>
        <button type="button" className="primary" onClick={() => setEditing("new")}>
          New tenant
        </button>
      </div>
      <form
        className="toolbar"
        role="search"
        aria-label="Find tenants"
        onSubmit={(e) => {
          e.preventDefault();
          setFilters({ name: search.trim() }, { drop: PAGER_RESET });
        }}
      >
        <label>
          Name
          <input type="search" value={search} onChange={(e) => setSearch(e.target.value)} />
        </label>
        <button type="submit">Search</button>
      </form>
      {tenants.isPending ? (
        <Loading what="Loading tenants" />
      ) : tenants.isError ? (
        <ErrorPanel error={tenants.error} retry={() => void tenants.refetch()} />
      ) : tenants.data.items.length === 0 ? (
        <Empty title="No tenants match" />
      ) : (
        <>
          <div className="table-wrap">
            <table>
              <thead>
                <tr>
                  <th scope="col">Name</th>
                  <th scope="col">Entra tenant id</th>
                  <th scope="col">Created</th>
                  <th scope="col">
                    <span className="visually-hidden">Actions</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {tenants.data.items.map((tenant) => (
                  <tr key={tenant.id}>
                    <th scope="row">
                      <Link to={tenantPath(tenant.id, "overview")}>{tenant.name}</Link>
                      {tenant.id === identity?.tenant_id && <span className="muted"> (yours)</span>}
                    </th>
                    <td className="mono wrap">{tenant.azure_tenant_id}</td>
                    <td>{formatDateTime(tenant.created_at)}</td>
                    <td>
                      <div className="row-actions">
                        <button type="button" onClick={() => setEditing(tenant)} aria-label={`Rename ${tenant.name}`}>
                          Rename
                        </button>
                        <button
                          type="button"
                          className="danger"
                          onClick={() => setDeleting(tenant)}
                          disabled={tenant.id === identity?.tenant_id}
                          title={tenant.id === identity?.tenant_id ? "You cannot delete the tenant you belong to." : undefined}
                          aria-label={`Delete ${tenant.name}`}
                        >
                          Delete
                        </button>
                      </div>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          {(paging.hasPrevious || tenants.data.next_cursor) && (
            <Pager paging={paging} count={tenants.data.items.length} nextCursor={tenants.data.next_cursor} limit={100} busy={tenants.isFetching} noun="tenants" />
          )}
        </>
      )}
      {editing && <TenantDialog tenant={editing === "new" ? null : editing} onClose={() => setEditing(null)} />}
      {deleting && <DeleteTenant tenant={deleting} onClose={() => setDeleting(null)} />}
    </div>
  );
}

function TenantDialog({ tenant, onClose }: { tenant: Tenant | null; onClose(): void }) {
  const queryClient = useQueryClient();
  const [name, setName] = useState(tenant?.name ?? "");
  const [azureTenantId, setAzureTenantId] = useState(tenant?.azure_tenant_id ?? "");
  const save = useMutation({
    mutationFn: async () => {
      const body = { name: name.trim(), azure_tenant_id: azureTenantId.trim() };
      return tenant
        ? unwrap(await api.PUT("/api/v1/tenants/{tenant_id}", { params: { path: { tenant_id: tenant.id } }, body }))
        : unwrap(await api.POST("/api/v1/tenants", { body }));
    },
    onSuccess: () => {
      void queryClient.invalidateQueries({ queryKey: ["tenants"] });
      void queryClient.invalidateQueries({ queryKey: ["tenant"] });
      onClose();
    },
  });
  const fieldErrors = fieldErrorsOf(save.error);
  return (
    <Dialog
      title={tenant ? `Rename ${tenant.name}` : "New tenant"}
      onClose={onClose}
      footer={
        <>
          <button type="button" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" form="tenant-form" className="primary" disabled={save.isPending}>
            {save.isPending ? "Saving…" : tenant ? "Save" : "Create tenant"}
          </button>
        </>
      }
    >
      <FieldErrorsProvider errors={fieldErrors}>
        <form
          id="tenant-form"
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
          <TextField path="name" label="Name" value={name} onChange={setName} autoComplete="off" />
          {tenant ? (
            <p>
              Entra tenant id: <code>{tenant.azure_tenant_id}</code>
            </p>
          ) : (
            <TextField
              path="azure_tenant_id"
              label="Entra tenant id"
              placeholder="72f988bf-86f1-41af-91ab-2d7cd011db47"
              hint="The Directory (tenant) ID from the Entra admin centre, a GUID."
              value={azureTenantId}
              onChange={setAzureTenantId}
              autoComplete="off"
            />
          )}
        </form>
      </FieldErrorsProvider>
    </Dialog>
  );
}

function DeleteTenant({ tenant, onClose }: { tenant: Tenant; onClose(): void }) {
  const queryClient = useQueryClient();
  const remove = useMutation({
    mutationFn: async () => unwrap(await api.DELETE("/api/v1/tenants/{tenant_id}", { params: { path: { tenant_id: tenant.id } } })),
    onSuccess: () => {
      void queryClient.invalidateQueries({ queryKey: ["tenants"] });
      onClose();
    },
  });
  return (
    <ConfirmDialog
      title={`Delete tenant ${tenant.name}?`}
      confirmLabel="Delete tenant"
      typeToConfirm={tenant.name}
      busy={remove.isPending}
      error={remove.isError ? refusal(remove.error) : undefined}
      onConfirm={() => remove.mutate()}
      onClose={onClose}
    >
      Everything recorded for this tenant goes with it: its users, API tokens, configurations, drift history, sign-in logs and
      settings. This cannot be undone.
    </ConfirmDialog>
  );
}
