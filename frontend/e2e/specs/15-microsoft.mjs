// Microsoft sign-in through the simulated Entra authority, and a failed one: the callback sends
// the browser back to the app with the reason in words (never a raw problem document).
export default async function microsoft({ page, baseUrl, azureTenantId, screenshot, expect }) {
  await page.goto(`${baseUrl}/login`);
  const form = page.getByRole("form", { name: "Sign in with Microsoft" });
  await form.getByLabel("Organisation (tenant id)").fill(azureTenantId);
  await form.getByRole("button", { name: "Sign in with Microsoft" }).click();
  // The simulator signs in the tenant's first user, who is provisioned as a viewer.
  await page.getByRole("button", { name: "Sign out" }).waitFor();
  await page.waitForURL(/\/t\/\d+\//);
  expect.match((await page.locator(".whoami").textContent()) ?? "", /viewer$/);
  expect.equal(new URL(page.url()).hash, "", "the hand-off code is gone from the address");
  await page.getByRole("button", { name: "Sign out" }).click();
  await page.waitForURL(/\/login/);

  // A callback that does not belong to a sign-in in progress (a replay, a forged link).
  await page.goto(`${baseUrl}/api/v1/auth/microsoft/callback?code=forged&state=not-a-sign-in-in-progress`);
  await page.waitForURL(/\/auth\/microsoft\/done/);
  await page.getByRole("heading", { name: "Microsoft sign-in failed" }).waitFor();
  expect.equal(
    (await page.getByRole("alert").textContent())?.trim(),
    "This Microsoft sign-in is unknown, expired or already completed; start again",
  );
  await screenshot("microsoft-sign-in-failed");
  await page.getByRole("link", { name: "Back to sign-in" }).click();
  await page.getByRole("form", { name: "Sign in with a password" }).waitFor();
}
