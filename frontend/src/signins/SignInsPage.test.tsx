import { afterEach, describe, expect, it, vi } from "vitest";
import { screen, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { identity, renderSignedIn, stubApi } from "../test/render";
import { SignInsPage } from "./SignInsPage";

const rows = [
  {
    id: 11,
    tenant_id: 1,
    log_id: "e-11",
    timestamp: "2026-11-29T10:05:00Z",
    actor: "adele@contoso.com",
    action: "Microsoft Teams",
    resource: "Microsoft Teams",
    status: "failure:50126",
    client_ip: "81.2.3.4",
    ingested_at: "2026-11-29T10:06:00Z",
    country: "GB",
  },
  {
    id: 12,
    tenant_id: 1,
    log_id: "e-12",
    timestamp: "2026-11-29T10:01:00Z",
    actor: "alex@contoso.com",
    action: "Outlook",
    resource: "Exchange",
    status: "success",
    client_ip: "20.1.1.1",
    ingested_at: "2026-11-29T10:06:00Z",
    country: "FR",
  },
];

// The answer of the API branch that adds the endpoint (`SigningLogStats`).
const summary = {
  tenant_id: 1,
  since: "2026-11-28T10:00:00Z",
  until: "2026-11-29T10:00:00Z",
  bucket: "hour",
  total: 5000,
  successes: 4000,
  failures: 1000,
  over_time: [{ start: "2026-11-29T10:00:00Z", successes: 4000, failures: 1000 }],
  failures_by_error_code: { top: [{ error_code: 50126, count: 1000 }], other: 0 },
  by_country: { top: [{ country: "GB", count: 5000 }], other: 0 },
  by_application: { top: [{ application: "Microsoft Teams", count: 5000 }], other: 0 },
};

function problem(status: number, detail: string) {
  return new Response(JSON.stringify({ type: "urn:x", title: "t", status, detail }), {
    status,
    headers: { "content-type": "application/problem+json" },
  });
}

function serve(withSummary: boolean) {
  return stubApi(identity(["signins:read"]), (_request, url) => {
    if (url.pathname.endsWith("/signing-logs/summary")) {
      return withSummary ? Response.json(summary) : problem(400, 'id must be a positive whole number, not "summary"');
    }
    if (url.pathname.endsWith("/signing-logs/11")) {
      return Response.json({ ...rows[0], log_data: { id: "e-11", status: { errorCode: 50126, failureReason: "Invalid password" } } });
    }
    if (url.pathname.endsWith("/signing-logs")) return Response.json({ items: rows, next_cursor: "c2" });
    return undefined;
  });
}

function listRequests(mock: ReturnType<typeof stubApi>) {
  return mock.mock.calls
    .map(([input]) => new URL((input as Request).url))
    .filter((url) => url.pathname.endsWith("/signing-logs"));
}

describe("sign-in logs", () => {
  afterEach(() => vi.unstubAllGlobals());

  it("sends the filters in the URL to the API and lists the events", async () => {
    const mock = serve(true);
    renderSignedIn(<SignInsPage />, "/t/1/sign-ins?status=failure&user=adele@contoso.com&range=7d&country=GB", "/t/:tenantId/sign-ins");
    expect(await screen.findByText("adele@contoso.com")).toBeInTheDocument();
    const url = listRequests(mock).at(-1)!;
    expect(url.searchParams.get("status")).toBe("failure");
    expect(url.searchParams.get("actor")).toBe("adele@contoso.com");
    expect(url.searchParams.get("country")).toBe("GB");
    const since = new Date(url.searchParams.get("since")!).getTime();
    expect(Math.round((Date.now() - since) / 86_400_000)).toBe(7);
    expect(screen.getByLabelText("Status")).toHaveValue("failure");
    expect(screen.getByLabelText("Country")).toHaveValue("GB");
    expect(await screen.findByText("5,000", { selector: "strong" })).toBeInTheDocument();
    expect(screen.getByText("1,000 failed")).toBeInTheDocument();
    expect(screen.getByRole("button", { name: "50126", hidden: true })).toBeInTheDocument();
    expect(screen.queryByText(/Charts show this page only/)).not.toBeInTheDocument();
    const summaryUrl = mock.mock.calls.map(([input]) => new URL((input as Request).url)).find((u) => u.pathname.endsWith("/summary"))!;
    expect(summaryUrl.searchParams.get("bucket")).toBe("day");
    expect(summaryUrl.searchParams.get("country")).toBe("GB");
  });

  it("draws the charts from the page and hides the country filter when the server has no summary", async () => {
    const mock = serve(false);
    renderSignedIn(<SignInsPage />, "/t/1/sign-ins?country=GB", "/t/:tenantId/sign-ins");
    expect(await screen.findByText(/Charts show this page only/)).toBeInTheDocument();
    expect(screen.getByText("2", { selector: "strong" })).toBeInTheDocument();
    expect(screen.queryByLabelText("Country")).not.toBeInTheDocument();
    expect(listRequests(mock).every((u) => !u.searchParams.has("country"))).toBe(true);
  });

  it("opens the full event in a panel that Escape closes", async () => {
    serve(true);
    renderSignedIn(<SignInsPage />, "/t/1/sign-ins", "/t/:tenantId/sign-ins");
    const cell = await screen.findByText("adele@contoso.com");
    await userEvent.click(within(cell.closest("tr")!).getByRole("button"));
    const panel = await screen.findByRole("dialog", { name: "Sign-in event" });
    expect(await within(panel).findByText(/Invalid password/)).toBeInTheDocument();
    expect(within(panel).getByText("Failed · 50126")).toBeInTheDocument();
    await userEvent.keyboard("{Escape}");
    expect(screen.queryByRole("dialog")).not.toBeInTheDocument();
  });

  it("applies typed filters on submit and pages on with the cursor", async () => {
    const mock = serve(true);
    renderSignedIn(<SignInsPage />, "/t/1/sign-ins", "/t/:tenantId/sign-ins");
    await screen.findByText("adele@contoso.com");
    await userEvent.type(screen.getByLabelText("Application"), "Outlook{Enter}");
    await vi.waitFor(() => expect(listRequests(mock).at(-1)!.searchParams.get("application")).toBe("Outlook"));
    await userEvent.click(screen.getByRole("button", { name: "Next →" }));
    await vi.waitFor(() => expect(listRequests(mock).at(-1)!.searchParams.get("cursor")).toBe("c2"));
    expect(listRequests(mock).at(-1)!.searchParams.get("application")).toBe("Outlook");
  });

  it("says so when nothing matches", async () => {
    stubApi(identity(["signins:read"]), (_r, url) =>
      url.pathname.endsWith("/summary") ? Response.json(summary) : Response.json({ items: [], next_cursor: null }),
    );
    renderSignedIn(<SignInsPage />, "/t/1/sign-ins", "/t/:tenantId/sign-ins");
    expect(await screen.findByText("No sign-ins match these filters")).toBeInTheDocument();
  });
});
