// The sign-in screen's filters as they live in the URL, and the API query they stand for.
import { enumParam, intParam, stringParam } from "../ui/useQueryState";
import { PAGE_SIZES } from "../ui/Pager";
import type { Bucket } from "./summary";

export const RANGES = {
  "1h": { label: "Last hour", ms: 3_600_000 },
  "24h": { label: "Last 24 hours", ms: 86_400_000 },
  "7d": { label: "Last 7 days", ms: 7 * 86_400_000 },
  "30d": { label: "Last 30 days", ms: 30 * 86_400_000 },
} as const;
export type RangeKey = keyof typeof RANGES | "custom";
const RANGE_KEYS = [...(Object.keys(RANGES) as (keyof typeof RANGES)[]), "custom"] as const;

export const SIGNIN_FILTERS = {
  range: enumParam<RangeKey>(RANGE_KEYS, "24h"),
  /** Custom range, as `datetime-local` values in the viewer's time zone. */
  from: stringParam(),
  to: stringParam(),
  user: stringParam(),
  app: stringParam(),
  /** `success`, `failure` or `failure:<code>`. */
  status: stringParam(),
  ip: stringParam(),
  country: stringParam(),
  limit: intParam(50, PAGE_SIZES),
  /** The id of the event open in the side panel. */
  event: stringParam(),
};

export interface SignInFilterValues {
  range: RangeKey;
  from: string;
  to: string;
  user: string;
  app: string;
  status: string;
  ip: string;
  country: string;
}

/** The time window as API instants. Presets end "now", rounded down to the minute so the
 * query (and its cache key) stays the same while the screen is open. */
export function timeWindow(values: Pick<SignInFilterValues, "range" | "from" | "to">, now = Date.now()) {
  if (values.range === "custom") {
    const since = values.from ? new Date(values.from) : undefined;
    const until = values.to ? new Date(values.to) : undefined;
    return {
      since: since && !Number.isNaN(since.getTime()) ? since.toISOString() : undefined,
      until: until && !Number.isNaN(until.getTime()) ? until.toISOString() : undefined,
    };
  }
  const end = Math.floor(now / 60_000) * 60_000;
  return { since: new Date(end - RANGES[values.range].ms).toISOString(), until: undefined };
}

/** Hours for windows up to two days, days beyond. */
export function bucketFor(window: { since?: string; until?: string }, now = Date.now()): Bucket {
  const start = window.since ? new Date(window.since).getTime() : now - 30 * 86_400_000;
  const end = window.until ? new Date(window.until).getTime() : now;
  return end - start <= 2 * 86_400_000 ? "hour" : "day";
}

/** The list's query parameters for these filters (the generated client's names). */
export function listQuery(values: SignInFilterValues, now = Date.now()) {
  const window = timeWindow(values, now);
  return {
    since: window.since,
    until: window.until,
    actor: values.user.trim() || undefined,
    application: values.app.trim() || undefined,
    status: values.status || undefined,
    client_ip: values.ip.trim() || undefined,
  };
}
