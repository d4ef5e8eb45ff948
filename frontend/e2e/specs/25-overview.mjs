// The overview after the drift spec's change: the last 24 hours count it, polling is healthy,
// and the sign-in failures chart has data.
export default async function overview({ page, baseUrl, tenantId, admin, signIn, screenshot, expect }) {
  await page.goto(`${baseUrl}/login`);
  await signIn(page, admin);
  await page.goto(`${baseUrl}/t/${tenantId}/overview`);
  const day = page.locator("a.stat", { hasText: "Last 24 hours" });
  await day.waitFor();
  const total = Number((await day.locator(".stat-value").textContent())?.replace(/\D/g, ""));
  expect.ok(total >= 1, `the last 24 hours count the simulated change (saw ${total})`);
  const polling = page.getByRole("table", { name: "Polling per source" });
  await polling.getByRole("rowheader", { name: "Entra ID" }).waitFor();
  expect.equal(await polling.getByText("Failing").count(), 0, "no source is failing");
  await page.getByRole("heading", { name: "Sign-in failures" }).waitFor();
  await page.getByText(/sign-ins failed in the last 7 days/).waitFor();
  await screenshot("overview");
}
