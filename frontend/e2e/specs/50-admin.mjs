// Administration: users, roles, an API token whose secret is shown once (and works), and the
// tenants screen with its GUID check.
import { signInsIngested } from "./30-sign-ins.mjs";

export default async function admin(ctx) {
  const { page, baseUrl, admin, signIn, screenshot, expect } = ctx;
  // Writes while the worker backfills the sign-in log can meet "database is locked".
  await signInsIngested(ctx);
  await page.goto(`${baseUrl}/login`);
  await signIn(page, admin);
  const nav = page.getByRole("navigation", { name: "Screens" });

  await nav.getByRole("link", { name: "Users" }).click();
  await page.getByRole("rowheader", { name: new RegExp(`^${admin.username}`) }).waitFor();
  await screenshot("users");

  await nav.getByRole("link", { name: "Roles" }).click();
  await page.getByRole("rowheader", { name: /^viewer/ }).waitFor();
  await screenshot("roles");

  // An API token: the secret once, in a dialog; it works; it is gone once the dialog closes.
  await nav.getByRole("link", { name: "API tokens" }).click();
  await page.getByRole("heading", { name: "API tokens" }).waitFor();
  const name = `E2E token ${Date.now()}`;
  await page.getByRole("button", { name: "New API token" }).click();
  const form = page.getByRole("dialog", { name: "New API token" });
  await form.getByLabel(/^Name/).fill(name);
  await form.getByRole("option", { name: "viewer" }).waitFor({ state: "attached" });
  await form.getByLabel(/^Role/).selectOption({ label: "viewer" });
  await form.getByRole("button", { name: "Create token" }).click();
  const shown = page.getByRole("dialog", { name: `API token “${name}” created` });
  await shown.waitFor();
  expect.match((await shown.textContent()) ?? "", /you will not see it again/);
  const secret = ((await shown.getByLabel("Token secret").textContent()) ?? "").trim();
  expect.ok(secret.length >= 20, "a secret is shown");
  const me = await ctx.api("/api/v1/auth/me", { token: secret });
  expect.equal(me.subject.kind, "api_token");
  expect.equal(me.role, "viewer");
  await screenshot("api-token-secret");
  await shown.getByRole("button", { name: "I have stored the secret" }).click();
  await shown.waitFor({ state: "detached" });
  const row = page.getByRole("row").filter({ has: page.getByRole("rowheader", { name }) });
  await row.waitFor();
  expect.ok(!(await page.content()).includes(secret), "the secret is not on the page any more");
  await page.reload();
  await row.waitFor();
  expect.ok(!(await page.content()).includes(secret), "nor after a reload");
  await screenshot("api-tokens");
  // Revoked, it stops working.
  await row.getByRole("button", { name: `Revoke ${name}` }).click();
  await page.getByRole("dialog").getByRole("button", { name: "Revoke token" }).click();
  await row.waitFor({ state: "detached" });
  await ctx.api("/api/v1/auth/me", { token: secret }).then(
    () => expect.fail("a revoked token still works"),
    (error) => expect.equal(error.status, 401),
  );

  // Tenants (the administrator is the platform superadmin): the API's GUID message, then a
  // tenant created and deleted after typing its name.
  await nav.getByRole("link", { name: "Tenants" }).click();
  await page.getByRole("heading", { name: "Tenants" }).waitFor();
  await page.getByRole("rowheader").first().waitFor();
  await screenshot("tenants");
  await page.getByRole("button", { name: "New tenant" }).click();
  const dialog = page.getByRole("dialog", { name: "New tenant" });
  const tenantName = `E2E tenant ${Date.now()}`;
  await dialog.getByLabel(/^Name/).fill(tenantName);
  const guid = dialog.getByLabel(/^Entra tenant id/);
  await guid.fill("not-a-guid");
  await dialog.getByRole("button", { name: "Create tenant" }).click();
  await guid.and(page.locator('[aria-invalid="true"]')).waitFor();
  expect.match((await dialog.textContent()) ?? "", /must be a GUID/);
  await guid.fill(crypto.randomUUID());
  await dialog.getByRole("button", { name: "Create tenant" }).click();
  await dialog.waitFor({ state: "detached" });
  await page.getByRole("button", { name: `Delete ${tenantName}` }).click();
  const confirm = page.getByRole("dialog", { name: `Delete tenant ${tenantName}?` });
  const del = confirm.getByRole("button", { name: "Delete tenant" });
  expect.ok(await del.isDisabled(), "deleting needs the name typed");
  await confirm.getByLabel(/^Type/).fill(tenantName);
  await del.click();
  await confirm.waitFor({ state: "detached" });
  await page.getByRole("rowheader", { name: tenantName }).waitFor({ state: "detached" });
}
