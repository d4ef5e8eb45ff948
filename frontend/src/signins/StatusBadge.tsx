/** A sign-in's outcome: "Succeeded", or "Failed · <error code>". */
export function StatusBadge({ status }: { status: string }) {
  if (status === "success") return <span className="badge status-ok">Succeeded</span>;
  const code = status.split(":")[1];
  return <span className="badge status-failing">Failed{code ? ` · ${code}` : ""}</span>;
}
