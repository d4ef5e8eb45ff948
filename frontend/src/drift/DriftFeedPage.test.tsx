import { afterEach, describe, expect, it, vi } from "vitest";
import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { identity, renderSignedIn, stubApi } from "../test/render";
import { ADMIN_PERMISSIONS, change, problem } from "../configurations/fixtures";
import { DriftFeedPage, pathsSummary, presetSince } from "./DriftFeedPage";

const FEED = "/api/v1/tenants/1/history";

function show(path = "/t/1/drift") {
  return renderSignedIn(<DriftFeedPage />, path, "/t/:tenantId/drift");
}

function feedQueries(mock: ReturnType<typeof stubApi>) {
  return mock.mock.calls
    .map(([input]) => new URL((input as Request).url))
    .filter((url) => url.pathname === FEED)
    .map((url) => Object.fromEntries(url.searchParams));
}

const ENTRIES = [
  change(12, { changed_paths: ["/state", "/grantControls/builtInControls/0"] }),
  change(11, { change_type: "created", changed_paths: [""], configuration_id: 9, resource_name: "New policy", severity: "medium" }),
  change(10, { change_type: "deleted", changed_paths: [""], changed_by: "unknown", severity: "critical" }),
];

describe("drift feed", () => {
  afterEach(() => vi.unstubAllGlobals());

  it("lists each change with what, who, how severe, and a link to its diff", async () => {
    stubApi(identity(ADMIN_PERMISSIONS), (_r, url) => (url.pathname === FEED ? Response.json({ items: ENTRIES, next_cursor: null }) : undefined));
    show();
    const list = await screen.findByRole("list", { name: "Changes, newest first" });
    const [updated, created, deleted] = within(list).getAllByRole("listitem");
    expect(updated).toHaveTextContent("CA07 - Block legacy auth");
    expect(updated).toHaveTextContent("Updated");
    expect(updated).toHaveTextContent("High");
    expect(updated).toHaveTextContent("by alice@contoso.com");
    expect(updated).toHaveTextContent("2 paths changed");
    expect(within(updated!).getByRole("link", { name: /View diff/ })).toHaveAttribute("href", "/t/1/configurations/7/diff?to=12");
    expect(within(created!).getByRole("link", { name: /Show the new state/ })).toHaveAttribute("href", "/t/1/configurations/9/diff?to=11");
    expect(created).toHaveTextContent("whole resource");
    expect(deleted).toHaveTextContent("Critical");
    expect(within(deleted!).getByText("unknown").tagName).toBe("EM");
    expect(screen.getByRole("button", { name: "Next →" })).toBeDisabled();
  });

  it("sends the URL's filters to the API and changes them from the form", async () => {
    const mock = stubApi(identity(ADMIN_PERMISSIONS), (_r, url) => (url.pathname === FEED ? Response.json({ items: ENTRIES }) : undefined));
    show("/t/1/drift?severity=high&source=entra&change=updated&by=alice%40contoso.com&type=microsoft.graph.conditionalAccessPolicy");
    await screen.findByRole("list", { name: "Changes, newest first" });
    expect(feedQueries(mock).at(-1)).toEqual({
      min_severity: "high",
      source: "entra",
      change_type: "updated",
      changed_by: "alice@contoso.com",
      resource_type: "microsoft.graph.conditionalAccessPolicy",
    });
    await userEvent.click(screen.getByRole("button", { name: "Last 24 h" }));
    await waitFor(() => expect(feedQueries(mock).at(-1)!.since).toBeDefined());
    const since = Date.parse(feedQueries(mock).at(-1)!.since!);
    expect(Math.abs(Date.now() - 24 * 3_600_000 - since)).toBeLessThan(120_000);
    expect(screen.getByRole("button", { name: "Last 24 h" })).toHaveAttribute("aria-pressed", "true");
    await userEvent.click(screen.getByRole("button", { name: "Clear filters" }));
    await waitFor(() => expect(feedQueries(mock).at(-1)).toEqual({}));
  });

  it("has an empty state for a tenant without drift and for filters that match nothing", async () => {
    stubApi(identity(ADMIN_PERMISSIONS), (_r, url) => (url.pathname === FEED ? Response.json({ items: [] }) : undefined));
    show();
    expect(await screen.findByText("No drift recorded yet")).toBeInTheDocument();
  });

  it("explains a refused request in words", async () => {
    stubApi(identity(ADMIN_PERMISSIONS), (_r, url) => (url.pathname === FEED ? problem(403, "Forbidden") : undefined));
    show("/t/1/drift?severity=critical");
    expect(await screen.findByRole("alert")).toHaveTextContent("You do not have permission to do this.");
  });
});

describe("helpers", () => {
  it("presetSince counts back from the current minute", () => {
    expect(presetSince("7d", Date.parse("2026-11-29T08:15:42Z"))).toBe("2026-11-22T08:15:00.000Z");
  });

  it("pathsSummary calls a creation or deletion the whole resource", () => {
    expect(pathsSummary(change(1, { change_type: "deleted", changed_paths: [""] }))).toBe("whole resource");
    expect(pathsSummary(change(1, { changed_paths: ["/a"] }))).toBe("1 path changed");
  });
});
