import { afterEach, describe, expect, it, vi } from "vitest";
import { screen, waitFor } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import type { Schemas } from "../api/client";
import { identity, renderSignedIn, stubApi } from "../test/render";
import { DiffPage } from "./DiffPage";
import { ADMIN_PERMISSIONS, change, problem, summary } from "./fixtures";

const BASE = "/api/v1/tenants/1/configurations/7";

function versionDiff(over: Partial<Schemas["VersionDiff"]> = {}): Schemas["VersionDiff"] {
  return {
    configuration_id: 7,
    from: { history_id: 2, current: false, at: "2026-11-28T02:00:00Z", document: { displayName: "CA07", modifiedDateTime: "t1", state: "enabled" } },
    to: { history_id: 3, current: false, at: "2026-11-28T03:00:00Z", document: { displayName: "CA07", modifiedDateTime: "t2", state: "disabled", added: true } },
    patch: [
      { op: "replace", path: "/modifiedDateTime", value: "t2" },
      { op: "replace", path: "/state", value: "disabled" },
      { op: "add", path: "/added", value: true },
    ],
    changed_paths: ["/added", "/modifiedDateTime", "/state"],
    ...over,
  };
}

function api(diff: Schemas["VersionDiff"] | Response) {
  return stubApi(identity(ADMIN_PERMISSIONS), (_r, url) => {
    if (url.pathname === BASE) return Response.json({ ...summary(7, { resource_name: "CA07" }), config_data: {} });
    if (url.pathname === `${BASE}/diff`) return diff instanceof Response ? diff : Response.json(diff);
    if (url.pathname === "/api/v1/tenants/1/history/3") return Response.json(change(3));
    return undefined;
  });
}

function show(query = "?from=2&to=3") {
  return renderSignedIn(<DiffPage />, `/t/1/configurations/7/diff${query}`, "/t/:tenantId/configurations/:configurationId/diff");
}

const line = (side: "left" | "right", path: string) =>
  document.querySelector(`.diff-${side}[data-path="${path}"]`) as HTMLElement;

describe("diff page", () => {
  afterEach(() => vi.unstubAllGlobals());

  it("shows both versions side by side with changed, added and volatile lines marked", async () => {
    const mock = api(versionDiff());
    show();
    await screen.findByRole("region", { name: "Side-by-side comparison" });
    const diffUrl = mock.mock.calls.map(([i]) => new URL((i as Request).url)).find((u) => u.pathname === `${BASE}/diff`)!;
    expect(Object.fromEntries(diffUrl.searchParams)).toEqual({ from: "2", to: "3" });
    expect(line("left", "/state")).toHaveClass("changed");
    expect(line("right", "/state")).toHaveTextContent('"state": "disabled"');
    expect(line("right", "/added")).toHaveClass("added");
    expect(line("left", "/added")).toHaveClass("empty");
    expect(line("right", "/modifiedDateTime")).toHaveClass("changed", "volatile");
    expect(line("right", "/displayName")).not.toHaveClass("changed");
    expect(screen.getByRole("list", { name: "JSON Patch operations" }).children).toHaveLength(3);
    expect(screen.getByRole("list", { name: "Changed paths" })).toHaveTextContent("/state");
    // The change that produced the newer version: who and how severe.
    expect(await screen.findByText("by alice@contoso.com")).toBeInTheDocument();
  });

  it("shows only the changed lines, each under its path, when asked", async () => {
    api(versionDiff());
    show();
    await screen.findByRole("region", { name: "Side-by-side comparison" });
    expect(document.querySelectorAll(".diff-row")).toHaveLength(6);
    await userEvent.click(screen.getByLabelText("Changed lines only"));
    await waitFor(() => expect(document.querySelectorAll(".diff-row")).toHaveLength(3));
    expect(screen.getByText("/modifiedDateTime", { selector: ".diff-path" })).toBeInTheDocument();
  });

  it("shows a creation as a whole new document", async () => {
    api(versionDiff({ from: { history_id: null, current: false, at: null, document: null }, patch: [{ op: "replace", path: "", value: { a: 1 } }], changed_paths: [""] }));
    show("?to=3");
    await screen.findByRole("region", { name: "Side-by-side comparison" });
    expect(screen.getByText(/Did not exist/, { selector: "p" })).toBeInTheDocument();
    const rows = [...document.querySelectorAll(".diff-row")];
    expect(rows.every((r) => r.getAttribute("data-kind") === "added")).toBe(true);
    expect(screen.getByRole("list", { name: "Changed paths" })).toHaveTextContent("(whole resource)");
  });

  it("says when only volatile fields differ", async () => {
    api(versionDiff({
      to: { history_id: 3, current: false, at: null, document: { displayName: "CA07", modifiedDateTime: "t2", state: "enabled" } },
      patch: [{ op: "replace", path: "/modifiedDateTime", value: "t2" }],
      changed_paths: ["/modifiedDateTime"],
    }));
    show();
    expect(await screen.findByText(/Only volatile fields/)).toBeInTheDocument();
  });

  it("explains an invalid pair of versions in words", async () => {
    api(problem(422, "Some fields are invalid", "from: from and to name the same version"));
    show("?from=3&to=3");
    expect(await screen.findByRole("alert")).toHaveTextContent("from and to name the same version");
  });
});

describe("changeStarts", () => {
  it("finds where each run of differing rows begins", async () => {
    const { changeStarts } = await import("./DiffPage");
    const row = (kind: "same" | "changed" | "added") => ({ path: "", kind, left: null, right: null, volatile: false });
    expect(changeStarts([row("same"), row("changed"), row("added"), row("same"), row("added")])).toEqual([1, 4]);
    expect(changeStarts([row("changed")])).toEqual([0]);
  });
});
