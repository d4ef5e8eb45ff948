// Placeholder until this screen is built (issue 6).
export function RolesPage() {
  return <h1>RolesPage</h1>;
}
