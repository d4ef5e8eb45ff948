import { describe, expect, it, vi, afterEach } from "vitest";
import { render, screen } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { MemoryRouter, Route, Routes } from "react-router-dom";
import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { SessionProvider } from "../auth/SessionProvider";
import { LoginPage } from "./LoginPage";

function problem(status: number, detail: string) {
  return new Response(JSON.stringify({ type: "urn:x", title: "t", status, detail }), {
    status,
    headers: { "content-type": "application/problem+json" },
  });
}

function renderLogin() {
  const client = new QueryClient({ defaultOptions: { queries: { retry: false } } });
  render(
    <QueryClientProvider client={client}>
      <MemoryRouter initialEntries={["/login"]}>
        <SessionProvider>
          <Routes>
            <Route path="/login" element={<LoginPage />} />
            <Route path="/" element={<p>home</p>} />
          </Routes>
        </SessionProvider>
      </MemoryRouter>
    </QueryClientProvider>,
  );
}

async function signIn(password: string) {
  await userEvent.type(screen.getByLabelText("Username or e-mail"), "admin");
  await userEvent.type(screen.getByLabelText("Password"), password);
  await userEvent.click(screen.getByRole("button", { name: "Sign in" }));
}

describe("sign-in page", () => {
  afterEach(() => vi.unstubAllGlobals());

  it("says the password is wrong and clears it", async () => {
    vi.stubGlobal("fetch", vi.fn(async () => problem(401, "invalid username or password")));
    renderLogin();
    await signIn("nope");
    expect(await screen.findByRole("alert")).toHaveTextContent("The username or password is wrong.");
    expect(screen.getByLabelText("Password")).toHaveValue("");
  });

  it("explains a lock-out with the API's wait time", async () => {
    vi.stubGlobal("fetch", vi.fn(async () => problem(429, "too many failed sign-ins; try again in 300 seconds")));
    renderLogin();
    await signIn("nope");
    expect(await screen.findByRole("alert")).toHaveTextContent(/locked.*300 seconds/);
  });

  it("stores the session and leaves the page on success", async () => {
    const fetchMock = vi.fn(async (input: Request | string) => {
      const url = typeof input === "string" ? input : input.url;
      if (url.endsWith("/api/v1/auth/login")) {
        return Response.json({ access_token: "a", refresh_token: "r", token_type: "Bearer", expires_in: 900 });
      }
      return Response.json({ subject: { kind: "user", id: 1 }, tenant_id: 1, role: "admin", permissions: [], spans_tenants: false });
    });
    vi.stubGlobal("fetch", fetchMock);
    renderLogin();
    await signIn("right");
    expect(await screen.findByText("home")).toBeInTheDocument();
    expect(JSON.parse(localStorage.getItem("drift.session")!).refreshToken).toBe("r");
  });
});
