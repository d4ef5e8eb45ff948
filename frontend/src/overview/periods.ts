// The overview's time windows and the shaping of summary data for its charts: plain functions,
// tested without a browser.
import type { Schemas } from "../api/client";

export type DriftSummary = Schemas["DriftSummary"];

export const PERIODS = [
  { key: "24h", label: "Last 24 hours", hours: 24 },
  { key: "7d", label: "Last 7 days", hours: 24 * 7 },
  { key: "30d", label: "Last 30 days", hours: 24 * 30 },
] as const;

export type PeriodKey = (typeof PERIODS)[number]["key"];

export const SEVERITIES = ["critical", "high", "medium", "low", "info", "unrated"] as const;
export type SeverityKey = (typeof SEVERITIES)[number];

export const SOURCES = ["entra", "intune", "arm"] as const;
export const SOURCE_LABELS: Record<(typeof SOURCES)[number], string> = {
  entra: "Entra ID",
  intune: "Intune",
  arm: "Azure resources",
};

/** The start of a window ending now, to the minute, so that queries share cache keys. */
export function windowStart(hours: number, now: Date = new Date()): string {
  const start = new Date(now.getTime() - hours * 3_600_000);
  start.setUTCSeconds(0, 0);
  return start.toISOString();
}

/** One row per period: its counts by severity, for a stacked bar chart. */
export function severityRows(summaries: Partial<Record<PeriodKey, DriftSummary>>) {
  return PERIODS.flatMap((period) => {
    const summary = summaries[period.key];
    if (!summary) return [];
    return [{ period: period.label, total: summary.total, ...summary.by_severity }];
  });
}

/** One row per period: its counts by source. */
export function sourceRows(summaries: Partial<Record<PeriodKey, DriftSummary>>) {
  return PERIODS.flatMap((period) => {
    const summary = summaries[period.key];
    if (!summary) return [];
    return [{ period: period.label, ...summary.by_source }];
  });
}

/** Whether a source is failing now: its last error is newer than its last success. */
export function isFailing(status: { last_error_at?: string | null; last_success_at?: string | null }): boolean {
  if (!status.last_error_at) return false;
  if (!status.last_success_at) return true;
  return new Date(status.last_error_at).getTime() > new Date(status.last_success_at).getTime();
}
