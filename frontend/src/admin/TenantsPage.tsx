// Placeholder until this screen is built (issue 6).
export function TenantsPage() {
  return <h1>TenantsPage</h1>;
}
