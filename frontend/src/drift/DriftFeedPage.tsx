// Placeholder until this screen is built (issue 6).
export function DriftFeedPage() {
  return <h1>DriftFeedPage</h1>;
}
