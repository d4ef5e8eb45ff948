// What the sign-in screen's charts draw, from the API's summary (GET
// /api/v1/tenants/{tenant_id}/signing-logs/summary) or, for a server without it, from the rows
// on screen. Nothing outside this file reads the raw response: the charts take `SignInSummary`.
import { api, type Schemas } from "../api/client";
import { toApiError } from "../api/problem";

export type SignInRow = Schemas["SigningLogSummary"];

export interface KeyCount {
  key: string;
  count: number;
}

/** A top-N breakdown and how many fell outside it. */
export interface Breakdown {
  top: KeyCount[];
  other: number;
}

export interface VolumePoint {
  /** Start of the bucket (ISO 8601). */
  bucket: string;
  success: number;
  failure: number;
}

/** What the charts draw (the same whether it came from the API or from one page of rows). */
export interface SignInSummary {
  totals: { total: number; successes: number; failures: number };
  overTime: VolumePoint[];
  failuresByErrorCode: Breakdown;
  byCountry: Breakdown;
  byApplication: Breakdown;
  /** True when computed from the rows on screen rather than by the server. */
  pageOnly: boolean;
}

export type Bucket = "hour" | "day";

export interface SummaryQuery {
  since?: string;
  until?: string;
  bucket: Bucket;
  actor?: string;
  application?: string;
  status?: string;
  client_ip?: string;
  country?: string;
}

type Stats = Schemas["SigningLogStats"];

function breakdown<T extends { count: number }>(ranking: { top: T[]; other: number }, key: (item: T) => string): Breakdown {
  return { top: ranking.top.map((item) => ({ key: key(item), count: item.count })), other: ranking.other };
}

/** The API's summary in the shape the charts take. */
export function normalise(stats: Stats): SignInSummary {
  return {
    totals: { total: stats.total, successes: stats.successes, failures: stats.failures },
    overTime: stats.over_time.map((p) => ({ bucket: p.start, success: p.successes, failure: p.failures })),
    failuresByErrorCode: breakdown(stats.failures_by_error_code, (i) => String(i.error_code)),
    byCountry: breakdown(stats.by_country, (i) => i.country),
    byApplication: breakdown(stats.by_application, (i) => i.application),
    pageOnly: false,
  };
}

/**
 * The server's summary, or `null` when the server is older than the summary endpoint (it
 * answers 404, or 400 because the path falls through to `/signing-logs/{id}`): the page then
 * charts the rows on screen.
 */
export async function fetchSignInSummary(tenantId: number, query: SummaryQuery): Promise<SignInSummary | null> {
  const result = await api.GET("/api/v1/tenants/{tenant_id}/signing-logs/summary", {
    params: {
      path: { tenant_id: tenantId },
      query: {
        since: query.since || undefined,
        until: query.until || undefined,
        bucket: query.bucket,
        actor: query.actor || undefined,
        application: query.application || undefined,
        status: query.status || undefined,
        client_ip: query.client_ip || undefined,
        country: query.country || undefined,
      },
    },
  });
  if (result.response.status === 404 || result.response.status === 405) return null;
  if (result.response.status === 400 && /not \\?"summary/.test(JSON.stringify(result.error ?? ""))) return null;
  if (!result.response.ok || !result.data) throw toApiError(result.response.status, result.error);
  return normalise(result.data);
}

/** The entry's country (ISO 3166-1 alpha-2), when Entra reported one. */
export function countryOf(row: SignInRow): string | undefined {
  return row.country || undefined;
}

/** The list's country filter, when set. */
export function listExtras(filters: { country?: string }): { country?: string } {
  return filters.country ? { country: filters.country } : {};
}

/** The error code of a failed sign-in (`failure:50126` → `50126`). */
export function errorCodeOf(status: string): string | undefined {
  if (!status.startsWith("failure")) return undefined;
  return status.split(":")[1] || "unknown";
}

function top(counts: Map<string, number>, n = 10): Breakdown {
  const sorted = [...counts.entries()].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
  return {
    top: sorted.slice(0, n).map(([key, count]) => ({ key, count })),
    other: sorted.slice(n).reduce((sum, [, c]) => sum + c, 0),
  };
}

function bucketStart(timestamp: string, bucket: Bucket): string {
  const d = new Date(timestamp);
  if (bucket === "day") d.setUTCHours(0, 0, 0, 0);
  else d.setUTCMinutes(0, 0, 0);
  return d.toISOString();
}

/** The charts' data from the rows on screen, for a server without the summary endpoint. */
export function summariseRows(rows: SignInRow[], bucket: Bucket): SignInSummary {
  const times = new Map<string, VolumePoint>();
  const codes = new Map<string, number>();
  const countries = new Map<string, number>();
  const apps = new Map<string, number>();
  let failures = 0;
  for (const row of rows) {
    const key = bucketStart(row.timestamp, bucket);
    const point = times.get(key) ?? { bucket: key, success: 0, failure: 0 };
    const code = errorCodeOf(row.status);
    if (code) {
      failures += 1;
      point.failure += 1;
      codes.set(code, (codes.get(code) ?? 0) + 1);
    } else {
      point.success += 1;
    }
    times.set(key, point);
    const country = countryOf(row);
    if (country) countries.set(country, (countries.get(country) ?? 0) + 1);
    const app = row.action ?? "unknown";
    apps.set(app, (apps.get(app) ?? 0) + 1);
  }
  return {
    totals: { total: rows.length, successes: rows.length - failures, failures },
    overTime: [...times.values()].sort((a, b) => a.bucket.localeCompare(b.bucket)),
    failuresByErrorCode: top(codes),
    byCountry: top(countries),
    byApplication: top(apps),
    pageOnly: true,
  };
}
