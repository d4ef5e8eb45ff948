// Drift: an administrator changes a conditional access policy in the (simulated) tenant; after
// a poll the change is in the drift feed, its diff highlights the changed path, the
// configurations table finds the policy by name and its page shows the change on its timeline.
export default async function drift({ page, baseUrl, tenantId, azureTenantId, admin, api, sim, pollNow, signIn, screenshot, expect }) {
  const actor = "megan.bowen@contoso.onmicrosoft.com";
  const made = await sim("/_sim/changes", {
    method: "POST",
    body: {
      tenant_id: azureTenantId,
      target: { kind: "graph", collection: "conditional_access_policies" },
      change: "update",
      actor,
    },
  });
  const record = made.change;
  expect.ok(record, "the simulator made a change");
  expect.equal(record.change_type, "updated");
  const property = record.changed_properties[0]; // "state" or "grantControls"
  expect.ok(property, "the change names the property it touched");

  await pollNow("entra");

  // The history entry the poll recorded for this policy (newest first).
  const history = await api(
    `/api/v1/tenants/${tenantId}/history?source=entra&change_type=updated&resource_type=microsoft.graph.conditionalAccessPolicy&limit=100`,
  );
  const entry = history.items.find((item) => item.resource_id === record.resource_id);
  expect.ok(entry, `a history entry for ${record.resource_id} after the poll`);
  expect.ok(
    entry.changed_paths.some((path) => path === `/${property}` || path.startsWith(`/${property}/`)),
    `the entry's changed paths ${JSON.stringify(entry.changed_paths)} include /${property}`,
  );
  const name = entry.resource_name;

  await signIn(page, admin);

  // Drift feed: the change is listed (newest first) with who made it and a link to its diff.
  await page.goto(`${baseUrl}/t/${tenantId}/drift?source=entra`);
  const item = page.locator(`li[data-history-id="${entry.id}"]`);
  await item.waitFor();
  const text = (await item.textContent()) ?? "";
  expect.ok(text.includes(name), `the feed entry names the policy: ${text}`);
  expect.ok(text.includes("Updated"), "the feed entry says it was updated");
  expect.ok(text.includes(entry.changed_by), `the feed entry says who changed it (${entry.changed_by})`);
  await screenshot("drift-feed");

  // Its diff: from the version before the change to the one it produced.
  await item.getByRole("link", { name: /View diff/ }).click();
  await page.waitForURL(new RegExp(`/configurations/${entry.configuration_id}/diff\\?to=${entry.id}$`));
  await page.getByRole("region", { name: "Side-by-side comparison" }).waitFor();
  const highlighted = page.locator(
    `.diff-right.changed[data-path^="/${property}"], .diff-right.added[data-path^="/${property}"], .diff-left.removed[data-path^="/${property}"]`,
  );
  await highlighted.first().waitFor();
  expect.ok((await highlighted.count()) > 0, `a line under /${property} is highlighted`);
  const unchanged = page.locator('.diff-right[data-path="/displayName"]');
  expect.ok(!(await unchanged.getAttribute("class")).includes("changed"), "the unchanged name is not highlighted");
  // The simulator moves `modifiedDateTime` with every save, as Graph does: shown, but dimmed.
  const volatile = page.locator('.diff-right.volatile[data-path="/modifiedDateTime"]');
  expect.equal(await volatile.count(), 1, "the volatile modifiedDateTime line is dimmed");
  await screenshot("diff");

  // Configurations: the search finds the policy; its row leads to the resource page.
  await page.goto(`${baseUrl}/t/${tenantId}/configurations`);
  await page.getByRole("table").waitFor();
  await page.getByRole("searchbox", { name: "Search" }).fill(name);
  await page.waitForURL(/[?&]search=/);
  // Wait for the searched page (not the unfiltered one still on screen while it loads).
  const rows = page.locator("tbody tr");
  for (const deadline = Date.now() + 15_000; ; ) {
    const texts = await rows.allTextContents();
    const busy = await page.locator(".table-wrap.busy").count();
    if (!busy && texts.length > 0 && texts.every((t) => t.toLowerCase().includes(name.toLowerCase()))) break;
    if (Date.now() > deadline) throw new Error(`the search for "${name}" did not narrow the table: ${texts.join(" | ")}`);
    await page.waitForTimeout(100);
  }
  const link = page.getByRole("link", { name, exact: true });
  await link.waitFor();
  await screenshot("configurations");

  // Resource page: the change is on the timeline, with who made it.
  await link.click();
  await page.getByRole("heading", { name, exact: true }).waitFor();
  const version = page.getByLabel(`Version #${entry.id}`);
  await version.waitFor();
  const timeline = page.getByRole("list", { name: "History" });
  expect.ok(((await timeline.textContent()) ?? "").includes(entry.changed_by), "the timeline says who changed it");
  await screenshot("configuration");
}
