// Placeholder until this screen is built (issue 6).
export function DiffPage() {
  return <h1>DiffPage</h1>;
}
