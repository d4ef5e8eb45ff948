// Sign-in: a wrong password is refused in words; the right one opens the shell.
export default async function signIn({ page, baseUrl, admin, signIn, screenshot, expect }) {
  await page.goto(`${baseUrl}/`);
  // Signed out, every address leads to the sign-in page.
  await page.waitForURL(/\/login/);
  const form = page.getByRole("form", { name: "Sign in with a password" });
  await form.getByLabel("Username or e-mail").waitFor();
  await screenshot("sign-in");

  await form.getByLabel("Username or e-mail").fill(admin.username);
  await form.getByLabel("Password").fill(`${admin.password}-wrong`);
  await form.getByRole("button", { name: "Sign in" }).click();
  const alert = page.getByRole("alert");
  await alert.waitFor();
  expect.equal((await alert.textContent())?.trim(), "The username or password is wrong.");
  expect.equal(await form.getByLabel("Password").inputValue(), "", "the wrong password is cleared");

  await signIn(page, admin);
  await page.waitForURL(/\/t\/\d+\//);
  const nav = page.getByRole("navigation", { name: "Screens" });
  await nav.getByRole("link", { name: "Overview" }).waitFor();
  expect.ok(await nav.getByRole("link", { name: "Users" }).isVisible(), "an administrator sees Administration");
  expect.match((await page.locator(".whoami").textContent()) ?? "", new RegExp(`^${admin.username} `));
  await screenshot("shell");
}
