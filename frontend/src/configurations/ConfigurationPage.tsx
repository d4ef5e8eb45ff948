// Placeholder until this screen is built (issue 6).
export function ConfigurationPage() {
  return <h1>ConfigurationPage</h1>;
}
