// Settings: an invalid value is refused with the API's message next to its field; once fixed,
// the save is kept (seen after a reload). The settings in force before are put back at the end.
import { signInsIngested } from "./30-sign-ins.mjs";

export default async function settings(ctx) {
  const { page, baseUrl, tenantId, admin, api, signIn, screenshot, expect } = ctx;
  // Saves while the worker backfills the sign-in log can meet "database is locked".
  await signInsIngested(ctx);
  const before = await api(`/api/v1/tenants/${tenantId}/settings`);
  try {
    await page.goto(`${baseUrl}/login`);
    await signIn(page, admin);
    await page.getByRole("navigation", { name: "Screens" }).getByRole("link", { name: "Settings" }).click();
    const form = page.getByRole("form", { name: "Settings" });
    const entra = form.getByLabel(/^Entra ID every/);
    await entra.waitFor();
    const save = form.getByRole("button", { name: "Save settings" });

    // 1. An interval out of range, and a webhook that is not https.
    await entra.fill("0");
    await form.getByRole("button", { name: "Add channel" }).click();
    const channel = form.getByRole("group", { name: /^Channel New channel/ });
    await channel.getByLabel("Name").fill("E2E webhook");
    const url = form.getByLabel(/^Webhook URL/).last();
    await url.fill("http://example.com/drift");
    await save.click();
    const invalid = page.locator('[aria-invalid="true"]');
    await entra.and(invalid).waitFor();
    expect.match(await describedBy(page, entra), /must be between 1 and 1440/);
    const summary = page.locator(".error-summary");
    expect.match((await summary.textContent()) ?? "", /Polling › Entra ID interval: must be between 1 and 1440/);
    await screenshot("settings-error");

    // 2. The interval fixed: the API now checks the channel and says the URL must be https.
    await entra.fill("2");
    await save.click();
    await url.and(invalid).waitFor();
    expect.equal(await entra.getAttribute("aria-invalid"), null, "the interval is no longer in error");
    expect.match(await describedBy(page, url), /https/);

    // 3. Fixed: saved, and still there after a reload.
    await url.fill("https://example.com/drift");
    await save.click();
    await form.getByRole("status").getByText(/^Saved /).waitFor();
    await page.reload();
    await entra.waitFor();
    expect.equal(await entra.inputValue(), "2");
    expect.equal(await form.getByLabel(/^Webhook URL/).last().inputValue(), "https://example.com/drift");
    await form.getByRole("group", { name: "Channel E2E webhook" }).waitFor();
    await screenshot("settings");

    // A viewer sees the same settings, read-only.
    await page.getByRole("button", { name: "Sign out" }).click();
    await page.waitForURL(/\/login/);
    await signIn(page, ctx.viewer);
    await page.goto(`${baseUrl}/t/${tenantId}/settings`);
    await page.getByText("You can view these settings.").waitFor();
    expect.equal(await entra.inputValue(), "2");
    expect.ok(await entra.isDisabled(), "a viewer cannot change an interval");
    expect.equal(await form.getByRole("button", { name: "Save settings" }).count(), 0, "a viewer has no Save");
    expect.equal(await form.getByRole("button", { name: "Add channel" }).count(), 0, "a viewer cannot add channels");
  } finally {
    await api(`/api/v1/tenants/${tenantId}/settings`, {
      method: "PUT",
      body: {
        notification_settings: before.notification_settings,
        polling_settings: before.polling_settings,
        drift_thresholds: before.drift_thresholds,
      },
    });
  }
}

/** The text of the elements that describe `locator` (its error message). */
async function describedBy(page, locator) {
  const ids = (await locator.getAttribute("aria-describedby")) ?? "";
  let text = "";
  for (const id of ids.split(/\s+/).filter(Boolean)) text += (await page.locator(`[id="${id}"]`).textContent()) ?? "";
  return text;
}
