// Rendering a screen as the app does, signed in, with the network stood in for by `routes`.
import type { ReactNode } from "react";
import { render } from "@testing-library/react";
import { MemoryRouter, Route, Routes } from "react-router-dom";
import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { vi } from "vitest";
import { SessionProvider } from "../auth/SessionProvider";
import type { Schemas } from "../api/client";

export type Handler = (request: Request, url: URL) => Response | Promise<Response> | undefined;

/** An identity with the given permissions in tenant 1. */
export function identity(permissions: Schemas["Permission"][], role = "admin"): Schemas["Identity"] {
  return {
    subject: { kind: "user", id: 1, username: "adele" },
    tenant_id: 1,
    role,
    permissions,
    spans_tenants: permissions.includes("tenants:manage"),
  };
}

/**
 * Stubs `fetch`: `/auth/me` answers `me`, other requests go to `handler` (404 problem when it
 * returns nothing). Returns the mock so tests can inspect the requests made.
 */
export function stubApi(me: Schemas["Identity"], handler: Handler) {
  const mock = vi.fn(async (input: Request | string | URL, init?: RequestInit) => {
    const request = input instanceof Request ? input : new Request(new URL(String(input), "http://localhost"), init);
    const url = new URL(request.url);
    if (url.pathname === "/api/v1/auth/me") return Response.json(me);
    const answer = await handler(request, url);
    return (
      answer ??
      new Response(JSON.stringify({ type: "urn:x:not_found", title: "Not found", status: 404 }), {
        status: 404,
        headers: { "content-type": "application/problem+json" },
      })
    );
  });
  vi.stubGlobal("fetch", mock);
  return mock;
}

/** Renders `element` at `path` (matched by `pattern`) for a signed-in user. */
export function renderSignedIn(element: ReactNode, path: string, pattern: string) {
  localStorage.setItem(
    "drift.session",
    JSON.stringify({ accessToken: "access", refreshToken: "refresh", expiresAt: Date.now() + 3_600_000 }),
  );
  const client = new QueryClient({ defaultOptions: { queries: { retry: false } } });
  return render(
    <QueryClientProvider client={client}>
      <MemoryRouter initialEntries={[path]}>
        <SessionProvider>
          <Routes>
            <Route path={pattern} element={element} />
          </Routes>
        </SessionProvider>
      </MemoryRouter>
    </QueryClientProvider>,
  );
}
