// Placeholder until this screen is built (issue 6).
export function ApiTokensPage() {
  return <h1>ApiTokensPage</h1>;
}
