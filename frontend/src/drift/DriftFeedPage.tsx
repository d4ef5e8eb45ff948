// Every change across the tenant, newest first, with filters in the URL; each entry links to
// its diff (from the version before the change to the one it produced).
import { keepPreviousData, useQuery } from "@tanstack/react-query";
import { Link } from "react-router-dom";
import { api, unwrap, type Schemas } from "../api/client";
import type { paths } from "../api/schema";
import { SOURCE_LABELS, SOURCES, changedPathsOf, compact, diffPath } from "../configurations/queries";
import { tenantPath, useTenantId } from "../tenant/useTenantId";
import { ChangeTypeBadge, CHANGE_TYPES, changeTypeLabel } from "../ui/ChangeTypeBadge";
import { formatDateTime, formatRelative } from "../ui/format";
import { Pager, PAGER_RESET, PAGE_SIZES, useCursorPaging } from "../ui/Pager";
import { SEVERITIES, SeverityBadge, severityLabel } from "../ui/SeverityBadge";
import { Empty, ErrorPanel, Loading } from "../ui/states";
import { useDebouncedInput } from "../ui/useDebounced";
import { intParam, optionalEnumParam, stringParam, useQueryState } from "../ui/useQueryState";

type HistorySummary = Schemas["HistorySummary"];
export type HistoryQuery = NonNullable<paths["/api/v1/tenants/{tenant_id}/history"]["get"]["parameters"]["query"]>;

export const RANGES = { "24h": 24, "7d": 24 * 7, "30d": 24 * 30 } as const;
type Range = keyof typeof RANGES;
const RANGE_LABELS: Record<Range, string> = { "24h": "24 h", "7d": "7 days", "30d": "30 days" };

const FILTERS = {
  severity: optionalEnumParam(SEVERITIES),
  source: optionalEnumParam(SOURCES),
  type: stringParam(),
  change: optionalEnumParam(CHANGE_TYPES),
  by: stringParam(),
  range: optionalEnumParam(Object.keys(RANGES) as Range[]),
  since: stringParam(),
  until: stringParam(),
  limit: intParam(50, PAGE_SIZES),
};

/** A `datetime-local` value (the viewer's time) as the API's UTC instant. */
export function localInstant(value: string): string | undefined {
  if (!value) return undefined;
  const at = new Date(value);
  return Number.isNaN(at.getTime()) ? undefined : at.toISOString();
}

/**
 * The `since` of a preset, rounded down to the minute so the query (and its cache key) stays
 * the same for a minute instead of changing on every render.
 */
export function presetSince(range: Range, now = Date.now()): string {
  const minute = Math.floor(now / 60_000) * 60_000;
  return new Date(minute - RANGES[range] * 3_600_000).toISOString();
}

export function useTenantHistory(tenantId: number, query: HistoryQuery) {
  const q = compact(query);
  return useQuery({
    queryKey: ["tenant-history", tenantId, q],
    queryFn: async ({ signal }) =>
      unwrap(
        await api.GET("/api/v1/tenants/{tenant_id}/history", {
          params: { path: { tenant_id: tenantId }, query: q },
          signal,
        }),
      ),
    placeholderData: keepPreviousData,
  });
}

/** "3 paths", or "whole resource" for a creation or deletion (their path is the root, ""). */
export function pathsSummary(entry: HistorySummary): string {
  const paths = changedPathsOf(entry);
  if (entry.change_type !== "updated" || (paths.length === 1 && paths[0] === "")) return "whole resource";
  return `${paths.length} ${paths.length === 1 ? "path" : "paths"} changed`;
}

export function DriftFeedPage() {
  const tenantId = useTenantId();
  const [filters, setFilters] = useQueryState(FILTERS);
  const paging = useCursorPaging();
  const update = (patch: Partial<typeof filters>, replace = false) =>
    setFilters(patch, { drop: PAGER_RESET, replace });
  const [type, setType] = useDebouncedInput(filters.type, (v) => update({ type: v.trim() }, true), 500);
  const [by, setBy] = useDebouncedInput(filters.by, (v) => update({ by: v.trim() }, true), 500);

  const since = filters.range ? presetSince(filters.range) : localInstant(filters.since);
  const until = filters.range ? undefined : localInstant(filters.until);
  const feed = useTenantHistory(tenantId, {
    min_severity: filters.severity || undefined,
    source: filters.source || undefined,
    resource_type: filters.type || undefined,
    change_type: filters.change || undefined,
    changed_by: filters.by || undefined,
    since,
    until,
    limit: filters.limit === 50 ? undefined : filters.limit,
    cursor: paging.cursor,
  });
  const filtered = Boolean(
    filters.severity || filters.source || filters.type || filters.change || filters.by || filters.range || filters.since || filters.until,
  );
  const items = feed.data?.items ?? [];

  return (
    <section aria-labelledby="drift-title">
      <h1 id="drift-title">Drift feed</h1>
      <form className="toolbar" role="search" aria-label="Filter changes" onSubmit={(e) => e.preventDefault()}>
        <label>
          Severity at least
          <select aria-label="Severity at least" value={filters.severity} onChange={(e) => update({ severity: e.target.value as typeof filters.severity })}>
            <option value="">Any severity</option>
            {SEVERITIES.map((s) => (
              <option key={s} value={s}>{severityLabel(s)}</option>
            ))}
          </select>
        </label>
        <label>
          Source
          <select aria-label="Source" value={filters.source} onChange={(e) => update({ source: e.target.value as typeof filters.source })}>
            <option value="">All sources</option>
            {SOURCES.map((s) => (
              <option key={s} value={s}>{SOURCE_LABELS[s]}</option>
            ))}
          </select>
        </label>
        <label>
          Resource type (exact)
          <input aria-label="Resource type (exact)" value={type} placeholder="e.g. microsoft.graph.conditionalAccessPolicy" onChange={(e) => setType(e.target.value)} list="drift-types" />
          <datalist id="drift-types">
            {[...new Set(items.map((i) => i.resource_type))].map((t) => (
              <option key={t} value={t} />
            ))}
          </datalist>
        </label>
        <label>
          Change
          <select aria-label="Change" value={filters.change} onChange={(e) => update({ change: e.target.value as typeof filters.change })}>
            <option value="">Any change</option>
            {CHANGE_TYPES.map((c) => (
              <option key={c} value={c}>{changeTypeLabel(c)}</option>
            ))}
          </select>
        </label>
        <label>
          Changed by
          <input aria-label="Changed by" value={by} placeholder="UPN, app or unknown" onChange={(e) => setBy(e.target.value)} />
        </label>
        <fieldset className="presets">
          <legend className="visually-hidden">Time range</legend>
          {(Object.keys(RANGES) as Range[]).map((r) => (
            <button
              key={r}
              type="button"
              aria-pressed={filters.range === r}
              onClick={() => update({ range: filters.range === r ? "" : r, since: "", until: "" })}
            >
              Last {RANGE_LABELS[r]}
            </button>
          ))}
        </fieldset>
        <label>
          From
          <input aria-label="From"
            type="datetime-local"
            value={filters.since}
            onChange={(e) => update({ since: e.target.value, range: "" })}
          />
        </label>
        <label>
          Until
          <input aria-label="Until"
            type="datetime-local"
            value={filters.until}
            onChange={(e) => update({ until: e.target.value, range: "" })}
          />
        </label>
        {filtered && (
          <button
            type="button"
            onClick={() => update({ severity: "", source: "", type: "", change: "", by: "", range: "", since: "", until: "" })}
          >
            Clear filters
          </button>
        )}
      </form>

      {feed.isPending ? (
        <Loading what="Loading changes" />
      ) : feed.isError && !feed.data ? (
        <ErrorPanel error={feed.error} retry={() => void feed.refetch()} />
      ) : items.length === 0 ? (
        filtered ? (
          <Empty title="No changes match these filters">Widen the time range or clear the filters.</Empty>
        ) : (
          <Empty title="No drift recorded yet">Changes appear here after a poll finds a resource created, changed or deleted.</Empty>
        )
      ) : (
        <>
          {feed.isError && <ErrorPanel error={feed.error} retry={() => void feed.refetch()} />}
          <ol className={`feed${feed.isPlaceholderData ? " busy" : ""}`} aria-label="Changes, newest first">
            {items.map((entry) => (
              <FeedEntry key={entry.id} entry={entry} tenantId={tenantId} />
            ))}
          </ol>
        </>
      )}
      {feed.data && (
        <Pager
          paging={paging}
          count={items.length}
          nextCursor={feed.data.next_cursor}
          limit={filters.limit}
          onLimitChange={(limit) => update({ limit })}
          busy={feed.isPlaceholderData}
          noun={items.length === 1 ? "change" : "changes"}
        />
      )}
    </section>
  );
}

function FeedEntry({ entry, tenantId }: { entry: HistorySummary; tenantId: number }) {
  const diffLabel =
    entry.change_type === "created" ? "Show the new state" : entry.change_type === "deleted" ? "Show the last state" : "View diff";
  return (
    <li data-history-id={entry.id}>
      <div>
        <div className="feed-what">
          <Link to={tenantPath(tenantId, `configurations/${entry.configuration_id}`)}>{entry.resource_name || entry.resource_id}</Link>{" "}
          <span className="muted mono">{entry.resource_type}</span>
        </div>
        <div className="feed-meta">
          <time dateTime={entry.changed_at} title={formatDateTime(entry.changed_at)}>
            {formatRelative(entry.changed_at)}
          </time>
          <ChangeTypeBadge type={entry.change_type} />
          <SeverityBadge severity={entry.severity} />
          <span>{SOURCE_LABELS[entry.source]}</span>
          <span>by {entry.changed_by === "unknown" ? <em>unknown</em> : entry.changed_by}</span>
          <span>{pathsSummary(entry)}</span>
        </div>
      </div>
      <Link className="feed-link" to={diffPath(tenantId, entry.configuration_id, entry.id)} aria-label={`${diffLabel}: ${entry.resource_name}, ${formatDateTime(entry.changed_at)}`}>
        {diffLabel}
      </Link>
    </li>
  );
}
