import { afterEach, describe, expect, it, vi } from "vitest";
import { screen } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { identity, renderSignedIn, stubApi } from "../test/render";
import { ConfigurationPage } from "./ConfigurationPage";
import { ADMIN_PERMISSIONS, change, problem, summary } from "./fixtures";

const CONFIG = "/api/v1/tenants/1/configurations/7";

function show() {
  return renderSignedIn(<ConfigurationPage />, "/t/1/configurations/7", "/t/:tenantId/configurations/:configurationId");
}

function api(over: { deleted_at?: string | null; history?: unknown[] } = {}) {
  return stubApi(identity(ADMIN_PERMISSIONS), (_r, url) => {
    if (url.pathname === CONFIG) {
      return Response.json({ ...summary(7, { resource_name: "CA07 - Block legacy auth", deleted_at: over.deleted_at ?? null }), config_data: { displayName: "CA07", state: "enabled" } });
    }
    if (url.pathname === `${CONFIG}/history`) {
      return Response.json({
        items: over.history ?? [
          change(3, { changed_paths: ["/state", "/conditions/users/includeUsers/0"] }),
          change(2, { changed_by: "unknown", severity: null }),
          change(1, { change_type: "created", changed_paths: [""], severity: "medium" }),
        ],
      });
    }
    return undefined;
  });
}

describe("resource page", () => {
  afterEach(() => vi.unstubAllGlobals());

  it("shows what the resource is, its current document and its timeline", async () => {
    api();
    show();
    expect(await screen.findByRole("heading", { name: "CA07 - Block legacy auth" })).toBeInTheDocument();
    expect(screen.getByText("res-7")).toBeInTheDocument();
    expect(screen.getByRole("tree", { name: /Current document/ })).toHaveTextContent('"state": "enabled"');
    const timeline = await screen.findByRole("list", { name: "History" });
    expect(timeline.children).toHaveLength(3);
    expect(screen.getByRole("list", { name: "Changed paths of version 3" })).toHaveTextContent("/conditions/users/includeUsers/0");
    expect(screen.getByText("unknown")).toBeInTheDocument();
    expect(screen.getByText("Unrated")).toBeInTheDocument();
    const previous = screen.getAllByRole("link", { name: "Compare with previous" });
    expect(previous[0]).toHaveAttribute("href", "/t/1/configurations/7/diff?to=3");
    expect(screen.getByRole("link", { name: "Show the new state" })).toHaveAttribute("href", "/t/1/configurations/7/diff?to=1");
  });

  it("compares any two ticked versions, older first", async () => {
    api();
    show();
    await userEvent.click(await screen.findByLabelText("Version #3"));
    await userEvent.click(screen.getByLabelText("Version #1"));
    expect(screen.getByRole("link", { name: "Compare version #1 with #3" })).toHaveAttribute(
      "href",
      "/t/1/configurations/7/diff?from=1&to=3",
    );
    // A third tick replaces the first one.
    await userEvent.click(screen.getByLabelText("Version #2"));
    expect(screen.getByRole("link", { name: "Compare version #1 with #2" })).toBeInTheDocument();
  });

  it("says when the resource was deleted, and when it has no changes", async () => {
    api({ deleted_at: "2026-11-28T10:00:00Z", history: [] });
    show();
    expect(await screen.findByRole("note")).toHaveTextContent(/was deleted in Azure/);
    expect(await screen.findByText("No recorded changes")).toBeInTheDocument();
  });

  it("explains a missing resource", async () => {
    stubApi(identity(ADMIN_PERMISSIONS), (_r, url) => (url.pathname === CONFIG ? problem(404, "Not found") : undefined));
    show();
    expect(await screen.findByRole("alert")).toHaveTextContent("This item does not exist, or it was deleted.");
  });
});
