// Sign out: back to the sign-in page, still signed out after a reload, and the refresh token
// of the ended session no longer works.
export default async function signOut({ page, baseUrl, admin, api, signIn, screenshot, expect }) {
  await page.goto(`${baseUrl}/login`);
  await signIn(page, admin);
  const stored = await page.evaluate(() => JSON.parse(localStorage.getItem("drift.session") ?? "null"));
  expect.ok(stored?.refreshToken, "the session is kept in localStorage");

  await page.getByRole("button", { name: "Sign out" }).click();
  await page.waitForURL(/\/login/);
  await page.getByRole("form", { name: "Sign in with a password" }).waitFor();
  expect.equal(await page.evaluate(() => localStorage.getItem("drift.session")), null);

  await page.reload();
  await page.getByRole("form", { name: "Sign in with a password" }).waitFor();
  expect.equal(await page.getByRole("button", { name: "Sign out" }).count(), 0);
  await screenshot("signed-out");

  await expect.rejects(
    api("/api/v1/auth/refresh", { method: "POST", body: { refresh_token: stored.refreshToken }, token: null }),
    (error) => error.status === 401,
    "the refresh token of the ended session is refused",
  );
}
