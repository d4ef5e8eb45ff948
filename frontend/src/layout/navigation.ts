// The screens of a tenant and the permission each needs; the shell shows only what the
// caller may open (the API enforces the same permissions regardless).
import type { Permission } from "../auth/SessionProvider";

export interface NavItem {
  screen: string;
  label: string;
  permission: Permission;
  group: "monitor" | "admin";
}

export const NAV_ITEMS: NavItem[] = [
  { screen: "overview", label: "Overview", permission: "history:read", group: "monitor" },
  { screen: "configurations", label: "Configurations", permission: "configurations:read", group: "monitor" },
  { screen: "drift", label: "Drift feed", permission: "history:read", group: "monitor" },
  { screen: "sign-ins", label: "Sign-in logs", permission: "signins:read", group: "monitor" },
  { screen: "settings", label: "Settings", permission: "settings:read", group: "monitor" },
  { screen: "admin/users", label: "Users", permission: "users:read", group: "admin" },
  { screen: "admin/roles", label: "Roles", permission: "roles:read", group: "admin" },
  { screen: "admin/api-tokens", label: "API tokens", permission: "api_tokens:manage", group: "admin" },
];

/** The first screen the caller may open: where `/` leads. */
export function homeScreen(can: (p: Permission) => boolean): string {
  return NAV_ITEMS.find((item) => can(item.permission))?.screen ?? "overview";
}
