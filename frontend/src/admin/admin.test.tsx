import { afterEach, describe, expect, it, vi } from "vitest";
import { screen, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { identity, renderSignedIn, stubApi, type Handler } from "../test/render";
import { useSession } from "../auth/SessionProvider";
import type { Schemas } from "../api/client";
import { ApiTokensPage } from "./ApiTokensPage";
import { UsersPage } from "./UsersPage";
import { RolesPage } from "./RolesPage";
import { TenantsPage } from "./TenantsPage";

const roles = {
  items: [
    { id: 1, name: "superadmin", description: "Platform administrator", permissions: ["tenants:manage", "roles:manage"], built_in: true, created_at: "2026-01-01T00:00:00Z" },
    { id: 2, name: "admin", description: "Tenant administrator", permissions: ["users:manage"], built_in: true, created_at: "2026-01-01T00:00:00Z" },
    { id: 4, name: "viewer", description: "Reads", permissions: ["history:read"], built_in: true, created_at: "2026-01-01T00:00:00Z" },
    { id: 5, name: "auditor", description: "Reads history", permissions: ["history:read"], built_in: false, created_at: "2026-01-01T00:00:00Z" },
  ],
};

function problem(status: number, body: object) {
  return new Response(JSON.stringify({ type: "urn:azure-drift-detector:problem:x", title: "Refused", status, ...body }), {
    status,
    headers: { "content-type": "application/problem+json" },
  });
}

/** Stubs the API; `routes` maps "METHOD /path-suffix" to an answer. */
function serve(permissions: Schemas["Permission"][], routes: Record<string, (request: Request) => Response | Promise<Response>>) {
  const handler = async (request: Request, url: URL) => {
    if (url.pathname === "/api/v1/roles" && request.method === "GET") return Response.json(roles);
    for (const [key, answer] of Object.entries(routes)) {
      const [method, suffix] = key.split(" ");
      if (request.method === method && url.pathname.endsWith(suffix!)) return answer(request);
    }
    return undefined;
  };
  return stubApi(identity(permissions), handler as Handler);
}

function renderWhenSignedIn(element: React.ReactNode, path: string, pattern: string) {
  function Probe() {
    return useSession().identity ? <>{element}</> : null;
  }
  renderSignedIn(<Probe />, path, pattern);
}

const token = {
  id: 9,
  tenant_id: 1,
  role_id: 4,
  role: "viewer",
  name: "SIEM export",
  created_at: "2026-11-29T07:00:00Z",
  created_by: 1,
  expires_at: "2027-02-27T07:00:00Z",
  last_used_at: null,
  revoked_at: null,
};

describe("API tokens", () => {
  afterEach(() => vi.unstubAllGlobals());

  it("shows a new token's secret once, with a warning, and never again", async () => {
    let listed: object[] = [];
    const bodies: any[] = [];
    serve(["api_tokens:manage", "roles:read"], {
      "GET /api-tokens": () => Response.json({ items: listed }),
      "POST /api-tokens": async (request) => {
        bodies.push(await request.json());
        listed = [token];
        return Response.json({ ...token, secret: "adt_s3cr3t-value" }, { status: 201 });
      },
    });
    renderWhenSignedIn(<ApiTokensPage />, "/t/1/admin/api-tokens", "/t/:tenantId/admin/api-tokens");
    expect(await screen.findByText("No API tokens")).toBeInTheDocument();
    await userEvent.click(screen.getByRole("button", { name: "New API token" }));
    const form = screen.getByRole("dialog", { name: "New API token" });
    await userEvent.type(within(form).getByLabelText(/^Name/), "SIEM export");
    await within(form).findByRole("option", { name: "viewer" });
    await userEvent.selectOptions(within(form).getByLabelText(/^Role/), "viewer");
    await userEvent.click(within(form).getByRole("button", { name: "Create token" }));

    const shown = await screen.findByRole("dialog", { name: "API token “SIEM export” created" });
    expect(within(shown).getByLabelText("Token secret")).toHaveTextContent("adt_s3cr3t-value");
    expect(within(shown).getByText(/you will not see it again/)).toBeInTheDocument();
    expect(bodies[0]).toEqual({ name: "SIEM export", role_id: 4, expires_in_days: 90 });

    await userEvent.click(within(shown).getByRole("button", { name: "I have stored the secret" }));
    expect(await screen.findByRole("rowheader", { name: "SIEM export" })).toBeInTheDocument();
    expect(screen.queryByText("adt_s3cr3t-value")).not.toBeInTheDocument();
    expect(document.body.innerHTML).not.toContain("adt_s3cr3t-value");
  });

  it("shows the API's words when it refuses a role above the caller's", async () => {
    serve(["api_tokens:manage", "roles:read"], {
      "GET /api-tokens": () => Response.json({ items: [] }),
      "POST /api-tokens": () =>
        problem(403, { detail: "your role (admin) cannot grant the role superadmin, which has permissions yours lacks" }),
    });
    renderWhenSignedIn(<ApiTokensPage />, "/t/1/admin/api-tokens", "/t/:tenantId/admin/api-tokens");
    await userEvent.click(await screen.findByRole("button", { name: "New API token" }));
    const form = screen.getByRole("dialog");
    await userEvent.type(within(form).getByLabelText(/^Name/), "x");
    await within(form).findByRole("option", { name: "superadmin" });
    await userEvent.selectOptions(within(form).getByLabelText(/^Role/), "superadmin");
    await userEvent.click(within(form).getByRole("button", { name: "Create token" }));
    expect(await within(form).findByRole("alert")).toHaveTextContent(
      "Your role (admin) cannot grant the role superadmin, which has permissions yours lacks.",
    );
  });

  it("asks for a role before asking the server", async () => {
    const mock = serve(["api_tokens:manage", "roles:read"], { "GET /api-tokens": () => Response.json({ items: [] }) });
    renderWhenSignedIn(<ApiTokensPage />, "/t/1/admin/api-tokens", "/t/:tenantId/admin/api-tokens");
    await userEvent.click(await screen.findByRole("button", { name: "New API token" }));
    const form = screen.getByRole("dialog");
    await userEvent.type(within(form).getByLabelText(/^Name/), "x");
    await userEvent.click(within(form).getByRole("button", { name: "Create token" }));
    expect(within(form).getByLabelText(/^Role/)).toHaveAccessibleDescription("Choose a role.");
    expect(mock.mock.calls.some(([input]) => (input as Request).method === "POST")).toBe(false);
  });

  it("closes the dialog on Escape and gives focus back", async () => {
    serve(["api_tokens:manage", "roles:read"], { "GET /api-tokens": () => Response.json({ items: [token] }) });
    renderWhenSignedIn(<ApiTokensPage />, "/t/1/admin/api-tokens", "/t/:tenantId/admin/api-tokens");
    const open = await screen.findByRole("button", { name: "New API token" });
    await userEvent.click(open);
    expect(screen.getByLabelText(/^Name/)).toHaveFocus();
    await userEvent.keyboard("{Escape}");
    expect(screen.queryByRole("dialog")).not.toBeInTheDocument();
    expect(open).toHaveFocus();
  });
});

describe("users", () => {
  afterEach(() => vi.unstubAllGlobals());
  const adele = {
    id: 2, tenant_id: 1, role_id: 4, role: "viewer", username: "adele", email: "adele@contoso.com", first_name: "Adele", last_name: "Vance",
    has_password: true, created_at: "2026-11-01T00:00:00Z", active: true, last_login: null,
  };

  it("shows validation errors beside the fields and a new password only when typed", async () => {
    const bodies: any[] = [];
    serve(["users:read", "users:manage", "roles:read"], {
      "GET /users": () => Response.json({ items: [adele] }),
      "PUT /users/2": async (request) => {
        const body = await request.json();
        bodies.push(body);
        return body.password === "short"
          ? problem(422, { errors: [{ field: "password", code: "length", message: "must be between 12 and 128 characters or items long" }] })
          : Response.json({ ...adele, ...body });
      },
    });
    renderWhenSignedIn(<UsersPage />, "/t/1/admin/users", "/t/:tenantId/admin/users");
    await userEvent.click(await screen.findByRole("button", { name: "Edit adele" }));
    const dialog = screen.getByRole("dialog", { name: "Edit adele" });
    await userEvent.type(within(dialog).getByLabelText(/^New password/), "short");
    await userEvent.click(within(dialog).getByRole("button", { name: "Save" }));
    const password = within(dialog).getByLabelText(/^New password/);
    await vi.waitFor(() => expect(password).toHaveAttribute("aria-invalid", "true"));
    expect(password.closest("label")).toHaveTextContent("must be between 12 and 128 characters");
    expect(within(dialog).getByLabelText(/^E-mail/)).not.toHaveAttribute("aria-invalid");

    await userEvent.clear(password);
    await userEvent.selectOptions(within(dialog).getByLabelText(/^Role/), "auditor");
    await userEvent.click(within(dialog).getByRole("button", { name: "Save" }));
    await vi.waitFor(() => expect(screen.queryByRole("dialog")).not.toBeInTheDocument());
    expect(bodies[1]).not.toHaveProperty("password");
    expect(bodies[1].role_id).toBe(5);
  });

  it("says in the API's words why a delete was refused", async () => {
    serve(["users:read", "users:manage", "roles:read"], {
      "GET /users": () => Response.json({ items: [adele] }),
      "DELETE /users/2": () => problem(403, { detail: "user 2 holds the role superadmin, which has permissions yours (admin) lacks" }),
    });
    renderWhenSignedIn(<UsersPage />, "/t/1/admin/users", "/t/:tenantId/admin/users");
    await userEvent.click(await screen.findByRole("button", { name: "Delete adele" }));
    const dialog = screen.getByRole("dialog", { name: "Delete adele?" });
    await userEvent.click(within(dialog).getByRole("button", { name: "Delete user" }));
    expect(await within(dialog).findByRole("alert")).toHaveTextContent("User 2 holds the role superadmin");
  });

  it("offers no changes to a reader", async () => {
    serve(["users:read"], { "GET /users": () => Response.json({ items: [adele] }) });
    renderWhenSignedIn(<UsersPage />, "/t/1/admin/users", "/t/:tenantId/admin/users");
    expect(await screen.findByRole("rowheader", { name: /adele/ })).toBeInTheDocument();
    expect(screen.queryByRole("button", { name: "New user" })).not.toBeInTheDocument();
    expect(screen.queryByRole("button", { name: "Edit adele" })).not.toBeInTheDocument();
  });
});

describe("roles", () => {
  afterEach(() => vi.unstubAllGlobals());

  it("keeps built-in roles read-only and edits a custom role's permissions", async () => {
    const bodies: any[] = [];
    serve(["roles:read", "roles:manage"], {
      "PUT /roles/5": async (request) => {
        bodies.push(await request.json());
        return Response.json(roles.items[3]);
      },
    });
    renderWhenSignedIn(<RolesPage />, "/t/1/admin/roles", "/t/:tenantId/admin/roles");
    const admin = (await screen.findByRole("rowheader", { name: /^admin/ })).closest("tr")!;
    expect(within(admin).getByText("Read-only")).toBeInTheDocument();
    expect(within(admin).queryByRole("button")).not.toBeInTheDocument();
    await userEvent.click(screen.getByRole("button", { name: "Edit auditor" }));
    const dialog = screen.getByRole("dialog");
    expect(within(dialog).getByRole("checkbox", { name: /See drift history/ })).toBeChecked();
    await userEvent.click(within(dialog).getByRole("checkbox", { name: /See sign-in logs/ }));
    await userEvent.click(within(dialog).getByRole("button", { name: "Save" }));
    await vi.waitFor(() => expect(bodies).toHaveLength(1));
    expect(bodies[0]).toEqual({ name: "auditor", description: "Reads history", permissions: ["history:read", "signins:read"] });
  });
});

describe("tenants", () => {
  afterEach(() => vi.unstubAllGlobals());
  const contoso = { id: 1, name: "Contoso", azure_tenant_id: "33d2df73-de14-4c77-a73d-b17ec7456a9b", created_at: "2026-11-01T00:00:00Z" };
  const fabrikam = { id: 2, name: "Fabrikam", azure_tenant_id: "11111111-2222-4333-8444-555555555555", created_at: "2026-11-02T00:00:00Z" };

  it("puts the API's GUID message beside the Entra tenant id", async () => {
    serve(["tenants:read", "tenants:manage"], {
      "GET /tenants": () => Response.json({ items: [contoso] }),
      "POST /tenants": () =>
        problem(422, {
          errors: [{ field: "azure_tenant_id", code: "guid", message: "must be a GUID such as 72f988bf-86f1-41af-91ab-2d7cd011db47" }],
        }),
    });
    renderWhenSignedIn(<TenantsPage />, "/admin/tenants", "/admin/tenants");
    await userEvent.click(await screen.findByRole("button", { name: "New tenant" }));
    const dialog = screen.getByRole("dialog", { name: "New tenant" });
    await userEvent.type(within(dialog).getByLabelText(/^Name/), "Northwind");
    await userEvent.type(within(dialog).getByLabelText(/^Entra tenant id/), "not-a-guid");
    await userEvent.click(within(dialog).getByRole("button", { name: "Create tenant" }));
    const field = within(dialog).getByLabelText(/^Entra tenant id/);
    await vi.waitFor(() => expect(field).toHaveAttribute("aria-invalid", "true"));
    expect(field).toHaveAccessibleDescription(/must be a GUID/);
  });

  it("deletes a tenant only after its name is typed", async () => {
    const deleted: string[] = [];
    serve(["tenants:read", "tenants:manage"], {
      "GET /tenants": () => Response.json({ items: [contoso, fabrikam] }),
      "DELETE /tenants/2": (request) => {
        deleted.push(request.url);
        return new Response(null, { status: 204 });
      },
    });
    renderWhenSignedIn(<TenantsPage />, "/admin/tenants", "/admin/tenants");
    expect(await screen.findByRole("button", { name: "Delete Contoso" })).toBeDisabled();
    await userEvent.click(screen.getByRole("button", { name: "Delete Fabrikam" }));
    const dialog = screen.getByRole("dialog");
    const confirm = within(dialog).getByRole("button", { name: "Delete tenant" });
    expect(confirm).toBeDisabled();
    await userEvent.type(within(dialog).getByLabelText(/Type/), "Fabrikam");
    await userEvent.click(confirm);
    await vi.waitFor(() => expect(deleted).toHaveLength(1));
  });
});
