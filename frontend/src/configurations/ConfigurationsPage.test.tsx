import { afterEach, describe, expect, it, vi } from "vitest";
import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { identity, renderSignedIn, stubApi } from "../test/render";
import { ConfigurationsPage, lastChangeOf, sinceInstant } from "./ConfigurationsPage";
import { ADMIN_PERMISSIONS, problem, summary } from "./fixtures";

const LIST = "/api/v1/tenants/1/configurations";

function show(path = "/t/1/configurations") {
  return renderSignedIn(<ConfigurationsPage />, path, "/t/:tenantId/configurations");
}

/** The query strings of the list requests made so far. */
function listQueries(mock: ReturnType<typeof stubApi>): URLSearchParams[] {
  return mock.mock.calls
    .map(([input]) => new URL((input as Request).url))
    .filter((url) => url.pathname === LIST)
    .map((url) => url.searchParams);
}

describe("configurations table", () => {
  afterEach(() => vi.unstubAllGlobals());

  it("lists one page with links to each resource, passing the URL's filters to the API", async () => {
    const mock = stubApi(identity(ADMIN_PERMISSIONS), (_r, url) =>
      url.pathname === LIST
        ? Response.json({ items: [summary(1), summary(2, { deleted_at: "2026-11-28T10:00:00Z", source: "arm" })], next_cursor: "c2" })
        : undefined,
    );
    show("/t/1/configurations?search=mfa&source=arm&state=all&limit=100&sort=-last_change_at");
    const link = await screen.findByRole("link", { name: "CA01 - Require MFA" });
    expect(link).toHaveAttribute("href", "/t/1/configurations/1");
    const rows = screen.getAllByRole("row");
    expect(within(rows[2]!).getByText("Deleted")).toBeInTheDocument();
    expect(within(rows[1]!).getByText("Present")).toBeInTheDocument();
    const query = listQueries(mock).at(-1)!;
    expect(Object.fromEntries(query)).toEqual({ search: "mfa", source: "arm", state: "all", limit: "100", sort: "-last_change_at" });
    expect(screen.getByText(/Showing 2 resources/)).toBeInTheDocument();
    expect(screen.getByRole("columnheader", { name: /Last change/ })).toHaveAttribute("aria-sort", "descending");
    expect(screen.getByRole("columnheader", { name: /Name/ })).toHaveAttribute("aria-sort", "none");
  });

  it("sorts by a column header (API sort values) and pages with next_cursor", async () => {
    const mock = stubApi(identity(ADMIN_PERMISSIONS), (_r, url) =>
      url.pathname === LIST ? Response.json({ items: [summary(1)], next_cursor: "c2" }) : undefined,
    );
    show();
    await screen.findByRole("link", { name: "CA01 - Require MFA" });
    await userEvent.click(screen.getByRole("button", { name: "Name" }));
    await waitFor(() => expect(listQueries(mock).at(-1)!.get("sort")).toBe("-resource_name"));
    expect(screen.getByRole("columnheader", { name: /Name/ })).toHaveAttribute("aria-sort", "descending");
    await userEvent.click(screen.getByRole("button", { name: "Type" }));
    await waitFor(() => expect(listQueries(mock).at(-1)!.get("sort")).toBe("resource_type"));
    await userEvent.click(screen.getByRole("button", { name: "Next →" }));
    await waitFor(() => expect(listQueries(mock).at(-1)!.get("cursor")).toBe("c2"));
    // A filter change starts again from the first page.
    await userEvent.selectOptions(screen.getByLabelText("Source"), "intune");
    await waitFor(() => expect(Object.fromEntries(listQueries(mock).at(-1)!)).toEqual({ source: "intune", sort: "resource_type" }));
  });

  it("searches after the user stops typing", async () => {
    const mock = stubApi(identity(ADMIN_PERMISSIONS), (_r, url) =>
      url.pathname === LIST ? Response.json({ items: [summary(1)] }) : undefined,
    );
    show();
    await screen.findByRole("link", { name: "CA01 - Require MFA" });
    await userEvent.type(screen.getByLabelText("Search"), "block");
    await waitFor(() => expect(listQueries(mock).at(-1)!.get("search")).toBe("block"));
    // One request for the whole word, not one per key.
    expect(listQueries(mock).filter((q) => q.has("search"))).toHaveLength(1);
  });

  it("says when nothing matches, and offers to clear the filters", async () => {
    stubApi(identity(ADMIN_PERMISSIONS), (_r, url) => (url.pathname === LIST ? Response.json({ items: [] }) : undefined));
    show("/t/1/configurations?source=intune");
    expect(await screen.findByText("No resources match these filters")).toBeInTheDocument();
    expect(screen.getByRole("button", { name: "Clear filters" })).toBeInTheDocument();
  });

  it("shows the API's problem in words", async () => {
    stubApi(identity(ADMIN_PERMISSIONS), (_r, url) =>
      url.pathname === LIST ? problem(422, "Some fields are invalid", "updated_since: must be an RFC 3339 instant") : undefined,
    );
    show();
    expect(await screen.findByRole("alert")).toHaveTextContent("updated_since: must be an RFC 3339 instant");
  });
});

describe("helpers", () => {
  it("shows the newest recorded change, and none for a resource unchanged since its baseline", () => {
    expect(lastChangeOf(summary(1))).toEqual({ at: null, type: undefined, severity: undefined });
    const changed = { ...summary(1), last_change_at: "2026-11-29T08:00:00Z", last_change_type: "updated" as const, last_change_severity: "high" as const };
    expect(lastChangeOf(changed)).toEqual({ at: "2026-11-29T08:00:00Z", type: "updated", severity: "high" });
  });

  it("turns a date input into a UTC instant and ignores garbage", () => {
    expect(sinceInstant("2026-11-28")).toBe(new Date("2026-11-28T00:00:00").toISOString());
    expect(sinceInstant("yesterday")).toBeUndefined();
  });
});
