// The frame around every signed-in screen: tenant, navigation by permission, theme, sign-out.
import { Suspense, useState } from "react";
import { NavLink, Outlet, useLocation, useNavigate } from "react-router-dom";
import { useQuery } from "@tanstack/react-query";
import { api, unwrap } from "../api/client";
import { useSession } from "../auth/SessionProvider";
import { tenantPath, useTenantId } from "../tenant/useTenantId";
import { applyTheme, loadTheme, type ThemeChoice } from "../ui/theme";
import { NAV_ITEMS } from "./navigation";
import { Loading } from "../ui/states";

export function Shell() {
  const tenantId = useTenantId();
  const { identity, can, signOut } = useSession();
  const [menuOpen, setMenuOpen] = useState(false);
  const location = useLocation();
  const visible = NAV_ITEMS.filter((item) => can(item.permission));

  return (
    <div className="shell">
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <header className="topbar">
        <button
          type="button"
          className="menu-toggle"
          aria-expanded={menuOpen}
          aria-controls="sidebar"
          onClick={() => setMenuOpen((open) => !open)}
        >
          Menu
        </button>
        <span className="brand">Azure Drift Detector</span>
        <TenantPicker tenantId={tenantId} spansTenants={identity?.spans_tenants ?? false} />
        <span className="topbar-spacer" />
        <ThemePicker />
        <span className="whoami" title={identity?.permissions.join(", ")}>
          {identity?.user?.username ?? "API token"} · {identity?.role}
        </span>
        <button type="button" onClick={() => void signOut()}>
          Sign out
        </button>
      </header>
      <nav id="sidebar" className={menuOpen ? "sidebar open" : "sidebar"} aria-label="Screens">
        {(["monitor", "admin"] as const).map((group) => {
          const items = visible.filter((item) => item.group === group);
          if (items.length === 0) return null;
          return (
            <ul key={group} aria-label={group === "admin" ? "Administration" : "Monitoring"}>
              {group === "admin" && <li className="nav-heading">Administration</li>}
              {items.map((item) => (
                <li key={item.screen}>
                  <NavLink to={tenantPath(tenantId, item.screen)} onClick={() => setMenuOpen(false)}>
                    {item.label}
                  </NavLink>
                </li>
              ))}
              {group === "admin" && identity?.spans_tenants && (
                <li>
                  <NavLink to="/admin/tenants" state={{ from: location.pathname }}>
                    Tenants
                  </NavLink>
                </li>
              )}
            </ul>
          );
        })}
      </nav>
      <main id="main" tabIndex={-1}>
        {/* Inside the frame, so that navigation keeps the shell while a screen's code loads. */}
        <Suspense fallback={<Loading what="Loading the screen" />}>
          <Outlet />
        </Suspense>
      </main>
    </div>
  );
}

function TenantPicker({ tenantId, spansTenants }: { tenantId: number; spansTenants: boolean }) {
  const navigate = useNavigate();
  const location = useLocation();
  const current = useQuery({
    queryKey: ["tenant", tenantId],
    queryFn: async () =>
      unwrap(await api.GET("/api/v1/tenants/{tenant_id}", { params: { path: { tenant_id: tenantId } } })),
  });
  const all = useQuery({
    queryKey: ["tenants", "picker"],
    enabled: spansTenants,
    queryFn: async () => unwrap(await api.GET("/api/v1/tenants", { params: { query: { limit: 500 } } })),
  });
  if (!spansTenants || !all.data) {
    return <span className="tenant-name">{current.data?.name ?? `Tenant ${tenantId}`}</span>;
  }
  return (
    <label className="tenant-picker">
      <span className="visually-hidden">Tenant</span>
      <select
        value={tenantId}
        onChange={(event) => {
          // Keep the same screen for the other tenant, without item ids that belong to this one.
          const screen = location.pathname.split("/")[3] ?? "overview";
          navigate(tenantPath(Number(event.target.value), screen));
        }}
      >
        {all.data.items.map((tenant) => (
          <option key={tenant.id} value={tenant.id}>
            {tenant.name}
          </option>
        ))}
      </select>
    </label>
  );
}

function ThemePicker() {
  const [theme, setTheme] = useState<ThemeChoice>(loadTheme);
  return (
    <label className="theme-picker">
      <span className="visually-hidden">Theme</span>
      <select
        value={theme}
        onChange={(event) => {
          const choice = event.target.value as ThemeChoice;
          applyTheme(choice);
          setTheme(choice);
        }}
      >
        <option value="system">System theme</option>
        <option value="light">Light</option>
        <option value="dark">Dark</option>
      </select>
    </label>
  );
}
