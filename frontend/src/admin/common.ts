// What the administration screens share: the roles list, permission names in words, and the
// API's own words when it refuses an action.
import { useQuery } from "@tanstack/react-query";
import { api, unwrap, type Schemas } from "../api/client";
import { ApiError, messageOf } from "../api/problem";

export type Role = Schemas["Role"];
export type Permission = Schemas["Permission"];

/**
 * Why the API refused, in its own words when it gave them: a refused escalation (403) or a
 * conflict (409) says exactly what is wrong ("your role (admin) cannot grant the role
 * superadmin, which has permissions yours lacks"), which the generic text would hide.
 */
export function refusal(error: unknown): string {
  if (error instanceof ApiError && error.problem?.detail && !error.problem.errors?.length) {
    const detail = error.problem.detail.trim();
    const sentence = detail[0]!.toUpperCase() + detail.slice(1);
    return /[.!?]$/.test(sentence) ? sentence : `${sentence}.`;
  }
  return messageOf(error);
}

/** The field errors of a failed save (422), for `FieldErrorsProvider`. */
export function fieldErrorsOf(error: unknown) {
  return error instanceof ApiError ? (error.problem?.errors ?? []) : [];
}

export function useRoles() {
  return useQuery({
    queryKey: ["roles", "all"],
    queryFn: async () => unwrap(await api.GET("/api/v1/roles", { params: { query: { limit: 500 } } })),
    staleTime: 60_000,
  });
}

export const PERMISSION_GROUPS: { title: string; permissions: { permission: Permission; label: string }[] }[] = [
  {
    title: "Monitoring",
    permissions: [
      { permission: "configurations:read", label: "See configurations" },
      { permission: "history:read", label: "See drift history" },
      { permission: "signins:read", label: "See sign-in logs" },
      { permission: "configurations:delete", label: "Delete configurations" },
    ],
  },
  {
    title: "Settings",
    permissions: [
      { permission: "settings:read", label: "See settings" },
      { permission: "settings:write", label: "Change settings" },
    ],
  },
  {
    title: "People and access",
    permissions: [
      { permission: "users:read", label: "See users" },
      { permission: "users:manage", label: "Manage users" },
      { permission: "roles:read", label: "See roles" },
      { permission: "roles:manage", label: "Manage roles" },
      { permission: "api_tokens:manage", label: "Manage API tokens" },
    ],
  },
  {
    title: "Tenants",
    permissions: [
      { permission: "tenants:read", label: "See tenants" },
      { permission: "tenants:manage", label: "Manage all tenants" },
    ],
  },
];
