// Placeholder until this screen is built (issue 6).
export function SignInsPage() {
  return <h1>SignInsPage</h1>;
}
