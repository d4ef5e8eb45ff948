// Placeholder until this screen is built (issue 6).
export function SettingsPage() {
  return <h1>SettingsPage</h1>;
}
