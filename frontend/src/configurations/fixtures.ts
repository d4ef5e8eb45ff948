// Sample API answers for the configurations and drift screens' tests.
import type { Schemas } from "../api/client";

export function summary(id: number, over: Partial<Schemas["ConfigurationSummary"]> = {}): Schemas["ConfigurationSummary"] {
  return {
    id,
    tenant_id: 1,
    source: "entra",
    resource_type: "microsoft.graph.conditionalAccessPolicy",
    resource_id: `res-${id}`,
    resource_name: `CA0${id} - Require MFA`,
    last_updated: "2026-11-28T09:00:00.000000Z",
    content_hash: "h",
    deleted_at: null,
    ...over,
  };
}

export function change(id: number, over: Partial<Schemas["HistorySummary"]> = {}): Schemas["HistorySummary"] {
  return {
    id,
    configuration_id: 7,
    tenant_id: 1,
    changed_at: `2026-11-28T0${id % 10}:00:00.000000Z`,
    change_type: "updated",
    changed_by: "alice@contoso.com",
    changed_paths: ["/state"],
    severity: "high",
    source: "entra",
    resource_type: "microsoft.graph.conditionalAccessPolicy",
    resource_id: "res-7",
    resource_name: "CA07 - Block legacy auth",
    ...over,
  };
}

export function problem(status: number, title: string, detail?: string): Response {
  return new Response(JSON.stringify({ type: "urn:azure-drift-detector:problem:x", title, status, detail }), {
    status,
    headers: { "content-type": "application/problem+json" },
  });
}

export const ADMIN_PERMISSIONS: Schemas["Permission"][] = ["configurations:read", "history:read"];
