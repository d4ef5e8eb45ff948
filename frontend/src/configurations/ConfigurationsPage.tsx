// Every stored resource of the tenant: search, filters and sorting run in the API (keyset
// pagination), so the table stays fast at 100 000 rows: one page is fetched at a time, the
// previous page stays on screen while the next loads, and a page is never re-sorted here.
import { Link } from "react-router-dom";
import { tenantPath, useTenantId } from "../tenant/useTenantId";
import { formatDateTime, formatRelative } from "../ui/format";
import { Pager, PAGER_RESET, PAGE_SIZES, useCursorPaging } from "../ui/Pager";
import { SeverityBadge, type Severity } from "../ui/SeverityBadge";
import { ChangeTypeBadge, type ChangeType } from "../ui/ChangeTypeBadge";
import { Empty, ErrorPanel, Loading } from "../ui/states";
import { useDebouncedInput } from "../ui/useDebounced";
import { enumParam, intParam, optionalEnumParam, stringParam, useQueryState } from "../ui/useQueryState";
import {
  CONFIGURATION_SORTS,
  SOURCE_LABELS,
  SOURCES,
  useConfigurations,
  type ConfigurationSort,
  type ConfigurationSummary,
} from "./queries";

const FILTERS = {
  search: stringParam(),
  source: optionalEnumParam(SOURCES),
  type: stringParam(),
  state: enumParam(["present", "deleted", "all"] as const, "present"),
  since: stringParam(),
  sort: enumParam(CONFIGURATION_SORTS, "resource_name"),
  limit: intParam(50, PAGE_SIZES),
};

/** What the "Last change" column shows for a row: its newest recorded change, if any. */
export interface LastChange {
  at: string | null;
  type?: ChangeType | null;
  severity?: Severity | null;
}

/** The row's last recorded change; `at` is null for a resource unchanged since its baseline. */
export function lastChangeOf(row: ConfigurationSummary): LastChange {
  return { at: row.last_change_at ?? null, type: row.last_change_type, severity: row.last_change_severity };
}

/** A date from `<input type="date">` (local midnight) as the API's UTC instant. */
export function sinceInstant(date: string): string | undefined {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(date)) return undefined;
  const at = new Date(`${date}T00:00:00`);
  return Number.isNaN(at.getTime()) ? undefined : at.toISOString();
}

const COLUMNS: { label: string; field?: "resource_name" | "resource_type" | "last_change_at"; className?: string }[] = [
  { label: "Name", field: "resource_name" },
  { label: "Type", field: "resource_type" },
  { label: "Source", className: "col-source" },
  { label: "Last change", field: "last_change_at" },
  { label: "State" },
];

export function ConfigurationsPage() {
  const tenantId = useTenantId();
  const [filters, setFilters] = useQueryState(FILTERS);
  const paging = useCursorPaging();
  const update = (patch: Partial<typeof filters>, replace = false) =>
    setFilters(patch, { drop: PAGER_RESET, replace });
  const [search, setSearch] = useDebouncedInput(filters.search, (value) => update({ search: value.trim() }, true));
  const [type, setType] = useDebouncedInput(filters.type, (value) => update({ type: value.trim() }, true), 500);

  const list = useConfigurations(tenantId, {
    search: filters.search || undefined,
    source: filters.source || undefined,
    resource_type: filters.type || undefined,
    state: filters.state === "present" ? undefined : filters.state,
    changed_since: sinceInstant(filters.since),
    sort: filters.sort === "resource_name" ? undefined : filters.sort,
    limit: filters.limit === 50 ? undefined : filters.limit,
    cursor: paging.cursor,
  });
  const filtered = Boolean(filters.search || filters.source || filters.type || filters.since || filters.state !== "present");
  const items = list.data?.items ?? [];

  const sortBy = (field: string) => {
    const next = (filters.sort === field ? `-${field}` : field) as ConfigurationSort;
    update({ sort: next });
  };

  return (
    <section aria-labelledby="configurations-title">
      <h1 id="configurations-title">Configurations</h1>
      <form className="toolbar" role="search" onSubmit={(e) => e.preventDefault()}>
        <label>
          Search
          <input aria-label="Search"
            type="search"
            value={search}
            placeholder="Name or resource id"
            onChange={(e) => setSearch(e.target.value)}
          />
        </label>
        <label>
          Source
          <select aria-label="Source" value={filters.source} onChange={(e) => update({ source: e.target.value as typeof filters.source })}>
            <option value="">All sources</option>
            {SOURCES.map((s) => (
              <option key={s} value={s}>
                {SOURCE_LABELS[s]}
              </option>
            ))}
          </select>
        </label>
        <label>
          Resource type (exact)
          <input aria-label="Resource type (exact)"
            value={type}
            list="resource-types"
            placeholder="e.g. microsoft.graph.conditionalAccessPolicy"
            onChange={(e) => setType(e.target.value)}
          />
          <datalist id="resource-types">
            {[...new Set(items.map((i) => i.resource_type))].map((t) => (
              <option key={t} value={t} />
            ))}
          </datalist>
        </label>
        <label>
          State
          <select aria-label="State" value={filters.state} onChange={(e) => update({ state: e.target.value as typeof filters.state })}>
            <option value="present">Present</option>
            <option value="deleted">Deleted</option>
            <option value="all">All</option>
          </select>
        </label>
        <label>
          Changed since
          <input aria-label="Changed since" type="date" value={filters.since} onChange={(e) => update({ since: e.target.value })} />
        </label>
        {filtered && (
          <button
            type="button"
            onClick={() => update({ search: "", source: "", type: "", since: "", state: "present" })}
          >
            Clear filters
          </button>
        )}
      </form>

      {list.isPending ? (
        <Loading what="Loading configurations" />
      ) : list.isError && !list.data ? (
        <ErrorPanel error={list.error} retry={() => void list.refetch()} />
      ) : items.length === 0 ? (
        filtered ? (
          <Empty title="No resources match these filters">Change or clear the filters to see more.</Empty>
        ) : paging.cursor ? (
          <Empty title="No more resources">
            <button type="button" onClick={paging.first}>Back to the first page</button>
          </Empty>
        ) : (
          <Empty title="No resources stored yet">They appear after the first successful poll of a source.</Empty>
        )
      ) : (
        <>
          {list.isError && <ErrorPanel error={list.error} retry={() => void list.refetch()} />}
          <div className={`table-wrap${list.isPlaceholderData ? " busy" : ""}`} aria-busy={list.isFetching}>
            <table className="config-table">
              <caption className="visually-hidden">Configurations, sorted by {sortLabel(filters.sort)}</caption>
              <thead>
                <tr>
                  {COLUMNS.map((column) => (
                    <th
                      key={column.label}
                      scope="col"
                      className={column.className}
                      aria-sort={column.field ? ariaSort(filters.sort, column.field) : undefined}
                    >
                      {column.field ? (
                        <button type="button" onClick={() => sortBy(column.field!)}>
                          {column.label}
                        </button>
                      ) : (
                        column.label
                      )}
                    </th>
                  ))}
                </tr>
              </thead>
              <tbody>
                {items.map((row) => (
                  <Row key={row.id} row={row} tenantId={tenantId} />
                ))}
              </tbody>
            </table>
          </div>
        </>
      )}
      {list.data && (
        <Pager
          paging={paging}
          count={items.length}
          nextCursor={list.data.next_cursor}
          limit={filters.limit}
          onLimitChange={(limit) => update({ limit })}
          busy={list.isPlaceholderData}
          noun={items.length === 1 ? "resource" : "resources"}
        />
      )}
    </section>
  );
}

function ariaSort(sort: string, field: string): "ascending" | "descending" | "none" {
  if (sort === field) return "ascending";
  if (sort === `-${field}`) return "descending";
  return "none";
}

function sortLabel(sort: string): string {
  const field = sort.replace(/^-/, "").replace("resource_", "").replace("_", " ");
  return `${field}, ${sort.startsWith("-") ? "descending" : "ascending"}`;
}

function Row({ row, tenantId }: { row: ConfigurationSummary; tenantId: number }) {
  const last = lastChangeOf(row);
  return (
    <tr className={row.deleted_at ? "row-deleted" : undefined}>
      <td className="cell-name">
        <Link to={tenantPath(tenantId, `configurations/${row.id}`)}>{row.resource_name || row.resource_id}</Link>
      </td>
      <td className="cell-type mono">{row.resource_type}</td>
      <td className="nowrap col-source">{SOURCE_LABELS[row.source]}</td>
      <td className="nowrap">
        {last.at ? (
          <time dateTime={last.at} title={formatDateTime(last.at)}>
            {formatRelative(last.at)}
          </time>
        ) : (
          <span className="muted" title={`Stored ${formatDateTime(row.last_updated)}`}>
            Unchanged since baseline
          </span>
        )}
        {last.type && <> <ChangeTypeBadge type={last.type} /></>}
        {last.severity && <> <SeverityBadge severity={last.severity} /></>}
      </td>
      <td className="nowrap">
        {row.deleted_at ? (
          <span className="badge change-deleted" title={formatDateTime(row.deleted_at)}>Deleted</span>
        ) : (
          <span className="badge status-ok">Present</span>
        )}
      </td>
    </tr>
  );
}
