// Everything the sign-in screen knows about API additions that are NOT in openapi.json yet:
//   - GET /api/v1/tenants/{tenant_id}/signing-logs/summary (the charts' data),
//   - the `country` filter of the list, and
//   - the `country` field of list entries.
//
// STAND-IN: `RawSummary`, `fetchSignInSummary`, `countryOf`, `listExtras` are written from the
// API branch that adds them (`api-notify`, `SigningLogStats`), not from this branch's generated
// schema. When openapi.json has them: replace `RawSummary` with `Schemas["SigningLogStats"]`,
// call `api.GET("/api/v1/tenants/{tenant_id}/signing-logs/summary", …)` typed, read
// `row.country` and pass `country` in the list query directly, and drop `normalise`'s
// alternatives. Nothing outside this file reads the raw response: the charts take
// `SignInSummary` below.
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

// ---- STAND-IN: the response as the API branch `api-notify` (commit f3fc7b4) defines it,
// `SigningLogStats`; the field names of the first description are accepted too ----
interface RawKeyCount {
  key?: string | null;
  error_code?: number | string | null;
  country?: string | null;
  application?: string | null;
  count?: number;
}
type RawBreakdown = RawKeyCount[] | { top?: RawKeyCount[]; items?: RawKeyCount[]; other?: number };
interface RawCounts {
  total?: number;
  successes?: number;
  failures?: number;
  success?: number;
  failure?: number;
}
interface RawSummary extends RawCounts {
  totals?: RawCounts;
  over_time?: Array<{ start?: string; bucket?: string; bucket_start?: string; successes?: number; failures?: number; success?: number; failure?: number }>;
  failures_by_error_code?: RawBreakdown;
  by_country?: RawBreakdown;
  by_application?: RawBreakdown;
}

function breakdown(raw: RawBreakdown | undefined): Breakdown {
  const items = Array.isArray(raw) ? raw : (raw?.top ?? raw?.items ?? []);
  const other = Array.isArray(raw) ? 0 : (raw?.other ?? 0);
  return {
    top: items.map((i) => ({ key: String(i.key ?? i.error_code ?? i.country ?? i.application ?? "unknown"), count: i.count ?? 0 })),
    other,
  };
}

/** The raw answer in the shape the charts take. */
export function normalise(raw: RawSummary): SignInSummary {
  const t = raw.totals ?? raw;
  const successes = t.successes ?? t.success ?? 0;
  const failures = t.failures ?? t.failure ?? 0;
  return {
    totals: { total: t.total ?? successes + failures, successes, failures },
    overTime: (raw.over_time ?? []).map((p) => ({
      bucket: p.start ?? p.bucket ?? p.bucket_start ?? "",
      success: p.successes ?? p.success ?? 0,
      failure: p.failures ?? p.failure ?? 0,
    })),
    failuresByErrorCode: breakdown(raw.failures_by_error_code),
    byCountry: breakdown(raw.by_country),
    byApplication: breakdown(raw.by_application),
    pageOnly: false,
  };
}

/**
 * The server's summary, or `null` when this server has no summary endpoint yet. (Today's
 * server answers 400 "id must be a positive whole number" for `/signing-logs/summary`, because
 * the path falls through to `/signing-logs/{id}`; a server with a router that knows neither
 * answers 404. Both mean "not available".)
 */
export async function fetchSignInSummary(tenantId: number, query: SummaryQuery): Promise<SignInSummary | null> {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) if (value) params.set(key, value);
  const untyped = api.GET as unknown as (
    path: string,
    init: { params: { path: Record<string, number> }; querySerializer: () => string },
  ) => Promise<{ data?: unknown; error?: unknown; response: Response }>;
  const result = await untyped("/api/v1/tenants/{tenant_id}/signing-logs/summary", {
    params: { path: { tenant_id: tenantId } },
    querySerializer: () => params.toString(),
  });
  if (result.response.status === 404 || result.response.status === 405) return null;
  if (result.response.status === 400 && /not \\?"summary/.test(JSON.stringify(result.error ?? ""))) return null;
  if (!result.response.ok) throw toApiError(result.response.status, result.error);
  return normalise(result.data as RawSummary);
}

/** STAND-IN: the entry's country (`country`, ISO 3166-1 alpha-2, on the api-notify branch). */
export function countryOf(row: SignInRow): string | undefined {
  const value = (row as SignInRow & { country?: string | null }).country;
  return value || undefined;
}

/** STAND-IN: list query parameters the generated type does not know yet. */
export function listExtras(filters: { country?: string }): Record<string, string> {
  return filters.country ? { country: filters.country } : {};
}
// ---- end of STAND-IN ----

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
