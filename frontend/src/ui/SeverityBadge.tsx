import type { Schemas } from "../api/client";

export type Severity = Schemas["Severity"];
export const SEVERITIES: readonly Severity[] = ["info", "low", "medium", "high", "critical"];

const LABELS: Record<Severity, string> = {
  info: "Info",
  low: "Low",
  medium: "Medium",
  high: "High",
  critical: "Critical",
};

export function severityLabel(severity: Severity): string {
  return LABELS[severity];
}

/** A change's severity as a coloured badge; the word is always written, colour is only a hint. */
export function SeverityBadge({ severity }: { severity: Severity | null | undefined }) {
  if (!severity) return <span className="badge sev-info" title="No severity rule matched">Unrated</span>;
  return <span className={`badge sev-${severity}`}>{LABELS[severity]}</span>;
}
