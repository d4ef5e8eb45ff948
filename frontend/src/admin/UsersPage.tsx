// Placeholder until this screen is built (issue 6).
export function UsersPage() {
  return <h1>UsersPage</h1>;
}
