import { describe, expect, it } from "vitest";
import { isFailing, severityRows, windowStart, type DriftSummary } from "./periods";

function summary(total: number, critical: number): DriftSummary {
  return {
    tenant_id: 1,
    since: "2026-11-28T00:00:00Z",
    until: "2026-11-29T00:00:00Z",
    total,
    by_severity: { critical, high: 0, medium: 0, low: total - critical, info: 0, unrated: 0 },
    by_source: { entra: total, intune: 0, arm: 0 },
    by_change_type: { created: 0, updated: total, deleted: 0 },
    by_day: [],
  };
}

describe("overview data", () => {
  it("rounds window starts down to the minute so that cache keys repeat", () => {
    const now = new Date("2026-11-29T10:15:42.123Z");
    expect(windowStart(24, now)).toBe("2026-11-28T10:15:00.000Z");
  });

  it("keeps the periods in order and skips those not loaded yet", () => {
    const rows = severityRows({ "30d": summary(9, 2), "24h": summary(1, 1) });
    expect(rows.map((r) => r.period)).toEqual(["Last 24 hours", "Last 30 days"]);
    expect(rows[1]).toMatchObject({ total: 9, critical: 2, low: 7 });
  });

  it("calls a source failing only while its last error is newer than its last success", () => {
    expect(isFailing({ last_error_at: null, last_success_at: null })).toBe(false);
    expect(isFailing({ last_error_at: "2026-11-29T10:00:00Z", last_success_at: null })).toBe(true);
    expect(isFailing({ last_error_at: "2026-11-29T10:00:00Z", last_success_at: "2026-11-29T10:05:00Z" })).toBe(false);
    expect(isFailing({ last_error_at: "2026-11-29T10:10:00Z", last_success_at: "2026-11-29T10:05:00Z" })).toBe(true);
  });
});
