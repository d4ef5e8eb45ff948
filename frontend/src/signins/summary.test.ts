import { describe, expect, it } from "vitest";
import { errorCodeOf, normalise, summariseRows, type SignInRow } from "./summary";

function row(id: number, timestamp: string, status: string, action = "Teams"): SignInRow {
  return { id, tenant_id: 1, log_id: `l${id}`, timestamp, status, action, actor: "a@b.c", ingested_at: timestamp };
}

describe("sign-in summary", () => {
  it("reads the error code of a failure", () => {
    expect(errorCodeOf("failure:50126")).toBe("50126");
    expect(errorCodeOf("failure")).toBe("unknown");
    expect(errorCodeOf("success")).toBeUndefined();
  });

  it("summarises the rows on screen per hour when the server cannot", () => {
    const s = summariseRows(
      [
        row(1, "2026-11-29T10:05:00Z", "success"),
        row(2, "2026-11-29T10:35:00Z", "failure:50126", "Outlook"),
        row(3, "2026-11-29T11:01:00Z", "failure:50126"),
        row(4, "2026-11-29T11:02:00Z", "failure:53003"),
      ],
      "hour",
    );
    expect(s.pageOnly).toBe(true);
    expect(s.totals).toEqual({ total: 4, successes: 1, failures: 3 });
    expect(s.overTime).toEqual([
      { bucket: "2026-11-29T10:00:00.000Z", success: 1, failure: 1 },
      { bucket: "2026-11-29T11:00:00.000Z", success: 0, failure: 2 },
    ]);
    expect(s.failuresByErrorCode.top).toEqual([
      { key: "50126", count: 2 },
      { key: "53003", count: 1 },
    ]);
    expect(s.byApplication.top[0]).toEqual({ key: "Teams", count: 3 });
    expect(s.byCountry.top).toEqual([]);
  });

  it("keeps the ten largest and counts the rest as other", () => {
    const rows = Array.from({ length: 12 }, (_, i) => row(i, "2026-11-29T10:00:00Z", "success", `app${i}`));
    const s = summariseRows(rows, "day");
    expect(s.byApplication.top).toHaveLength(10);
    expect(s.byApplication.other).toBe(2);
  });

  it("reads the API's SigningLogStats", () => {
    const s = normalise({
      tenant_id: 1,
      since: "2026-11-29T00:00:00Z",
      until: "2026-11-30T00:00:00Z",
      bucket: "hour",
      total: 3,
      successes: 2,
      failures: 1,
      over_time: [{ start: "2026-11-29T10:00:00Z", successes: 2, failures: 1 }],
      failures_by_error_code: { top: [{ error_code: 50126, count: 1 }], other: 0 },
      by_country: { top: [{ country: "CH", count: 3 }], other: 0 },
      by_application: { top: [{ application: "Azure Portal", count: 3 }], other: 0 },
    });
    expect(s.totals).toEqual({ total: 3, successes: 2, failures: 1 });
    expect(s.overTime).toEqual([{ bucket: "2026-11-29T10:00:00Z", success: 2, failure: 1 }]);
    expect(s.failuresByErrorCode.top).toEqual([{ key: "50126", count: 1 }]);
    expect(s.byCountry.top).toEqual([{ key: "CH", count: 3 }]);
    expect(s.byApplication.top).toEqual([{ key: "Azure Portal", count: 3 }]);
    expect(s.pageOnly).toBe(false);
  });
});
