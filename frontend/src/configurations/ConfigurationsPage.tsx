// Placeholder until this screen is built (issue 6).
export function ConfigurationsPage() {
  return <h1>ConfigurationsPage</h1>;
}
