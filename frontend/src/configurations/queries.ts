// Server state of the configurations screens, through TanStack Query (no store of our own).
import { keepPreviousData, useQuery } from "@tanstack/react-query";
import { api, unwrap, type Schemas } from "../api/client";
import { tenantPath } from "../tenant/useTenantId";

export type ConfigurationSummary = Schemas["ConfigurationSummary"];
export type Configuration = Schemas["Configuration"];
export type HistorySummary = Schemas["HistorySummary"];
export type HistoryEntry = Schemas["HistoryEntry"];
export type VersionDiff = Schemas["VersionDiff"];
export type Source = Schemas["Source"];
export type ConfigurationState = Schemas["ConfigurationState"];

export const SOURCES: readonly Source[] = ["entra", "intune", "arm"];
export const SOURCE_LABELS: Record<Source, string> = { entra: "Entra ID", intune: "Intune", arm: "Azure (ARM)" };

export const CONFIGURATION_SORTS = [
  "resource_name", "-resource_name", "resource_type", "-resource_type", "last_change_at", "-last_change_at", "last_updated", "-last_updated", "id", "-id",
] as const;
export type ConfigurationSort = (typeof CONFIGURATION_SORTS)[number];

export interface ConfigurationFilters {
  source?: Source;
  resource_type?: string;
  search?: string;
  state?: ConfigurationState;
  changed_since?: string;
  sort?: ConfigurationSort;
  limit?: number;
  cursor?: string;
}

/** Drops empty values so the API sees only the filters in use. */
export function compact<T extends object>(query: T): T {
  return Object.fromEntries(Object.entries(query).filter(([, v]) => v !== undefined && v !== "")) as T;
}

/**
 * One page of configurations. The previous page stays on screen while the next loads
 * (`keepPreviousData`), and nothing beyond one page is ever fetched.
 */
export function useConfigurations(tenantId: number, filters: ConfigurationFilters) {
  const query = compact(filters);
  return useQuery({
    queryKey: ["configurations", tenantId, query],
    queryFn: async ({ signal }) =>
      unwrap(
        await api.GET("/api/v1/tenants/{tenant_id}/configurations", {
          params: { path: { tenant_id: tenantId }, query },
          signal,
        }),
      ),
    placeholderData: keepPreviousData,
  });
}

export function useConfiguration(tenantId: number, id: number) {
  return useQuery({
    queryKey: ["configuration", tenantId, id],
    queryFn: async ({ signal }) =>
      unwrap(
        await api.GET("/api/v1/tenants/{tenant_id}/configurations/{id}", {
          params: { path: { tenant_id: tenantId, id } },
          signal,
        }),
      ),
  });
}

export function useConfigurationHistory(tenantId: number, id: number, cursor: string | undefined, limit = 50) {
  const query = compact({ cursor, limit });
  return useQuery({
    queryKey: ["configuration-history", tenantId, id, query],
    queryFn: async ({ signal }) =>
      unwrap(
        await api.GET("/api/v1/tenants/{tenant_id}/configurations/{id}/history", {
          params: { path: { tenant_id: tenantId, id }, query },
          signal,
        }),
      ),
    placeholderData: keepPreviousData,
  });
}

/** Two versions and the patch between them; `from` omitted = the version before `to`. */
export function useVersionDiff(tenantId: number, id: number, from: string | undefined, to: string | undefined) {
  const query = compact({ from, to });
  return useQuery({
    queryKey: ["configuration-diff", tenantId, id, query],
    queryFn: async ({ signal }) =>
      unwrap(
        await api.GET("/api/v1/tenants/{tenant_id}/configurations/{id}/diff", {
          params: { path: { tenant_id: tenantId, id }, query },
          signal,
        }),
      ),
  });
}

export function useHistoryEntry(tenantId: number, id: number | undefined) {
  return useQuery({
    queryKey: ["history-entry", tenantId, id],
    enabled: id !== undefined,
    queryFn: async ({ signal }) =>
      unwrap(
        await api.GET("/api/v1/tenants/{tenant_id}/history/{id}", {
          params: { path: { tenant_id: tenantId, id: id! } },
          signal,
        }),
      ),
  });
}

/** The route parameter `:configurationId` as a number, or null when it is not one. */
export function parseId(raw: string | undefined): number | null {
  const id = Number(raw);
  return Number.isSafeInteger(id) && id > 0 ? id : null;
}

/** The changed paths of a history entry (the API stores JSON Pointers as a JSON array). */
export function changedPathsOf(entry: { changed_paths: unknown }): string[] {
  return Array.isArray(entry.changed_paths) ? entry.changed_paths.filter((p): p is string => typeof p === "string") : [];
}

/** A changed path for people: the whole document is "" in JSON Pointer. */
export function pathLabel(path: string): string {
  return path === "" ? "(whole resource)" : path;
}

/**
 * The diff page of a configuration for history ids: `to` is the version a change produced;
 * without `from`, the page compares it with the version before (the API's default), which also
 * covers `created` (nothing before) and the first change after the baseline.
 */
export function diffPath(tenantId: number, configurationId: number, to: number, from?: number): string {
  const query = from === undefined ? `to=${to}` : `from=${from}&to=${to}`;
  return tenantPath(tenantId, `configurations/${configurationId}/diff?${query}`);
}
