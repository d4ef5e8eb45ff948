// Placeholder until this screen is built (issue 6).
export function OverviewPage() {
  return <h1>OverviewPage</h1>;
}
