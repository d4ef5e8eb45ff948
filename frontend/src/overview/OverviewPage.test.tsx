import { afterEach, describe, expect, it, vi } from "vitest";
import { screen, within } from "@testing-library/react";
import { identity, renderSignedIn, stubApi } from "../test/render";
import { OverviewPage } from "./OverviewPage";
import { useSession } from "../auth/SessionProvider";

function summary(total: number, critical: number) {
  return {
    tenant_id: 1,
    since: "2026-11-28T00:00:00Z",
    until: "2026-11-29T00:00:00Z",
    total,
    by_severity: { critical, high: 0, medium: 0, low: total - critical, info: 0, unrated: 0 },
    by_source: { entra: total, intune: 0, arm: 0 },
    by_change_type: { created: 0, updated: total, deleted: 0 },
    by_day: [{ date: "2026-11-28", count: total }],
  };
}

const pollStatus = {
  tenant_id: 1,
  polling_enabled: true,
  sources: [
    { source: "entra", state: "idle", last_success_at: "2026-11-29T10:00:00Z", next_run_at: "2026-11-29T10:05:00Z" },
    {
      source: "intune",
      state: "idle",
      last_success_at: "2026-11-29T09:00:00Z",
      last_error_at: "2026-11-29T10:00:00Z",
      last_error: "Graph answered 403: Authorization_RequestDenied",
    },
    { source: "arm", state: "running", last_success_at: null },
    { source: "signins", state: "due", last_success_at: null },
  ],
};

function api(totals: Record<string, number>) {
  return stubApi(identity(["history:read", "settings:write"]), (_request, url) => {
    if (url.pathname.endsWith("/history/summary")) {
      const hours = (Date.now() - new Date(url.searchParams.get("since")!).getTime()) / 3_600_000;
      const total = hours < 25 ? totals.day! : hours < 24 * 8 ? totals.week! : totals.month!;
      return Response.json(summary(total, total > 0 ? 1 : 0));
    }
    if (url.pathname.endsWith("/poll-status")) return Response.json(pollStatus);
    if (url.pathname.endsWith("/history")) {
      return Response.json({
        items: [
          {
            id: 7,
            tenant_id: 1,
            configuration_id: 3,
            change_type: "updated",
            changed_at: "2026-11-29T09:59:00Z",
            changed_by: "adele@contoso.com",
            changed_paths: ["/state"],
            resource_id: "p1",
            resource_name: "Require MFA for admins",
            resource_type: "microsoft.graph.conditionalAccessPolicy",
            severity: "critical",
            source: "entra",
          },
        ],
        next_cursor: null,
      });
    }
    if (url.pathname.endsWith("/tenants/1")) return Response.json({ id: 1, name: "Contoso", azure_tenant_id: "x", created_at: "2026-01-01T00:00:00Z" });
    return undefined;
  });
}

describe("overview", () => {
  afterEach(() => vi.unstubAllGlobals());

  it("counts drift per period and lists the latest critical change with a link to its diff", async () => {
    api({ day: 2, week: 5, month: 40 });
    renderSignedIn(<OverviewPage />, "/t/1/overview", "/t/:tenantId/overview");
    const day = await screen.findByText("Last 24 hours");
    expect(within(day.closest("a")!).getByText("2")).toBeInTheDocument();
    expect(within(screen.getByText("Last 30 days").closest("a")!).getByText("40")).toBeInTheDocument();
    const link = await screen.findByRole("link", { name: "Require MFA for admins" });
    expect(link).toHaveAttribute("href", "/t/1/configurations/3/diff?to=7");
  });

  it("shows which source is failing and why, and offers polling now", async () => {
    api({ day: 0, week: 0, month: 0 });
    renderSignedIn(<OverviewPage />, "/t/1/overview", "/t/:tenantId/overview");
    const intune = (await screen.findByRole("rowheader", { name: "Intune" })).closest("tr")!;
    expect(within(intune).getByText("Failing")).toBeInTheDocument();
    expect(within(intune).getByText(/Authorization_RequestDenied/)).toBeInTheDocument();
    const arm = screen.getByRole("rowheader", { name: "Azure resources" }).closest("tr")!;
    expect(within(arm).getByRole("button", { name: "Poll now" })).toBeDisabled();
    expect(await screen.findByText(/No changes in the last 30 days/)).toBeInTheDocument();
  });

  it("charts failed sign-ins of the last week for those who may read them", async () => {
    stubApi(identity(["history:read", "signins:read"], "viewer"), (_r, url) => {
      if (url.pathname.endsWith("/poll-status")) return Response.json(pollStatus);
      if (url.pathname.endsWith("/history")) return Response.json({ items: [], next_cursor: null });
      if (url.pathname.endsWith("/signing-logs/summary")) {
        expect(url.searchParams.get("bucket")).toBe("day");
        return Response.json({
          tenant_id: 1, since: "2026-11-22T00:00:00Z", until: "2026-11-29T00:00:00Z", bucket: "day",
          total: 40, successes: 31, failures: 9,
          over_time: [{ start: "2026-11-28T00:00:00Z", successes: 31, failures: 9 }],
          failures_by_error_code: { top: [], other: 0 }, by_country: { top: [], other: 0 }, by_application: { top: [], other: 0 },
        });
      }
      return Response.json(summary(0, 0));
    });
    function Probe() {
      return useSession().identity ? <OverviewPage /> : null;
    }
    renderSignedIn(<Probe />, "/t/1/overview", "/t/:tenantId/overview");
    expect(await screen.findByText(/9 of 40 sign-ins failed in the last 7 days/)).toBeInTheDocument();
    expect(screen.getByRole("link", { name: "see the failures" })).toHaveAttribute("href", "/t/1/sign-ins?range=7d&status=failure");
  });

  it("offers no polling to a reader", async () => {
    stubApi(identity(["history:read"], "viewer"), (_r, url) => {
      if (url.pathname.endsWith("/poll-status")) return Response.json(pollStatus);
      if (url.pathname.endsWith("/history")) return Response.json({ items: [], next_cursor: null });
      return Response.json(summary(0, 0));
    });
    function Probe() {
      return useSession().identity ? <OverviewPage /> : null;
    }
    renderSignedIn(<Probe />, "/t/1/overview", "/t/:tenantId/overview");
    await screen.findByRole("rowheader", { name: "Intune" });
    expect(screen.queryByRole("button", { name: "Poll now" })).not.toBeInTheDocument();
  });
});
