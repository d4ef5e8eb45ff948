// Sign-in logs: filter by status "failed" and by a user; the URL holds the filters (a reload
// keeps them); a row opens the whole event.

/** Waits (with a deadline) until the worker has ingested the simulator's sign-ins once. */
export async function signInsIngested({ api, tenantId }, timeoutMs = 300_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { sources } = await api(`/api/v1/tenants/${tenantId}/poll-status`);
    const signins = sources.find((s) => s.source === "signins");
    if (signins?.last_success_at) return;
    if (Date.now() > deadline) throw new Error(`no sign-in poll finished within ${timeoutMs} ms: ${JSON.stringify(signins)}`);
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
}

export default async function signIns(ctx) {
  const { page, baseUrl, tenantId, admin, api, signIn, screenshot, expect } = ctx;
  await signInsIngested(ctx);
  // A user with a failed sign-in in the last 7 days, to filter by.
  const since = new Date(Date.now() - 7 * 86_400_000).toISOString();
  const failures = await api(`/api/v1/tenants/${tenantId}/signing-logs?status=failure&limit=20&since=${encodeURIComponent(since)}`);
  expect.ok(failures.items.length > 0, "the simulator produced failed sign-ins");
  const user = failures.items.find((i) => i.actor)?.actor;
  expect.ok(user, "a failed sign-in names its user");

  await page.goto(`${baseUrl}/login`);
  await signIn(page, admin);
  await page.getByRole("navigation", { name: "Screens" }).getByRole("link", { name: "Sign-in logs" }).click();
  await page.getByRole("heading", { name: "Sign-in logs" }).waitFor();
  const filters = page.getByRole("search", { name: "Filter sign-ins" });
  const table = page.locator("table.signin-table");
  await table.waitFor();

  await filters.getByLabel("Time range").selectOption("7d");
  await page.waitForURL(/[?&]range=7d/);
  await filters.getByLabel("Status").selectOption("failure");
  await page.waitForURL(/[?&]status=failure/);
  await expectOnly(page, "td:nth-child(4)", /^Failed/, expect);

  await filters.getByLabel("User").fill(user);
  await filters.getByLabel("User").press("Enter");
  await page.waitForURL((url) => url.searchParams.get("user") === user);
  await expectOnly(page, "td:nth-child(2)", new RegExp(`^${escape(user)}$`, "i"), expect);
  await expectOnly(page, "td:nth-child(4)", /^Failed/, expect);

  // The address alone brings the same view back.
  const address = page.url();
  await page.reload();
  await table.waitFor();
  expect.equal(page.url(), address);
  expect.equal(await filters.getByLabel("Time range").inputValue(), "7d");
  expect.equal(await filters.getByLabel("Status").inputValue(), "failure");
  expect.equal(await filters.getByLabel("User").inputValue(), user);
  await expectOnly(page, "td:nth-child(2)", new RegExp(`^${escape(user)}$`, "i"), expect);
  await page.getByText(/sign-ins ·/).first().waitFor();
  await screenshot("sign-ins");

  // A row opens the whole event; Escape closes it.
  await table.locator("tbody tr").first().getByRole("button").click();
  const panel = page.getByRole("dialog", { name: "Sign-in event" });
  const json = panel.getByRole("tree", { name: "Event JSON" });
  await json.waitFor();
  expect.match((await json.textContent()) ?? "", /userPrincipalName/);
  await page.keyboard.press("Escape");
  await panel.waitFor({ state: "detached" });
}

function escape(text) {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/** Waits until the table shows rows and every cell of the column matches `pattern`. */
async function expectOnly(page, cellSelector, pattern, expect, timeoutMs = 15_000) {
  const deadline = Date.now() + timeoutMs;
  let cells = [];
  for (;;) {
    cells = (await page.locator(`table.signin-table tbody ${cellSelector}`).allTextContents()).map((t) => t.trim());
    if (cells.length > 0 && cells.every((t) => pattern.test(t))) return;
    if (Date.now() > deadline) break;
    await page.waitForTimeout(200);
  }
  expect.fail(`expected every ${cellSelector} to match ${pattern}, got ${JSON.stringify(cells.slice(0, 10))}`);
}
