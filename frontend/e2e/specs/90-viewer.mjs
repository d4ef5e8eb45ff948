// A viewer sees no administration screens, and typing one's address shows that it is not theirs.
export default async function viewer({ page, baseUrl, tenantId, viewer, signIn, screenshot, expect }) {
  await page.goto(`${baseUrl}/login`);
  await signIn(page, viewer);
  const nav = page.getByRole("navigation", { name: "Screens" });
  await nav.getByRole("link", { name: "Overview" }).waitFor();
  expect.equal(await nav.getByText("Administration").count(), 0, "no Administration heading");
  for (const entry of ["Users", "Roles", "API tokens", "Tenants"]) {
    expect.equal(await nav.getByRole("link", { name: entry }).count(), 0, `no ${entry} entry`);
  }
  expect.match((await page.locator(".whoami").textContent()) ?? "", /viewer$/);

  for (const screen of ["admin/users", "admin/roles", "admin/api-tokens"]) {
    await page.goto(`${baseUrl}/t/${tenantId}/${screen}`);
    await page.getByText("You do not have access to this screen").waitFor();
  }
  await screenshot("viewer-no-access");
}
