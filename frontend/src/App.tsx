// Routes: every screen has a URL that can be bookmarked and shared (filters live in the query).
import { lazy, Suspense, type ReactNode } from "react";
import { Navigate, Route, Routes, useLocation } from "react-router-dom";
import { useSession, type Permission } from "./auth/SessionProvider";
import { Shell } from "./layout/Shell";
import { homeScreen } from "./layout/navigation";
import { LoginPage } from "./login/LoginPage";
import { MicrosoftDone } from "./login/MicrosoftDone";
import { Empty, ErrorPanel, Loading } from "./ui/states";
import { tenantPath } from "./tenant/useTenantId";

// Each screen is its own chunk: the sign-in page does not wait for the charts and diff code.
const OverviewPage = lazy(() => import("./overview/OverviewPage").then((m) => ({ default: m.OverviewPage })));
const ConfigurationsPage = lazy(() => import("./configurations/ConfigurationsPage").then((m) => ({ default: m.ConfigurationsPage })));
const ConfigurationPage = lazy(() => import("./configurations/ConfigurationPage").then((m) => ({ default: m.ConfigurationPage })));
const DiffPage = lazy(() => import("./configurations/DiffPage").then((m) => ({ default: m.DiffPage })));
const DriftFeedPage = lazy(() => import("./drift/DriftFeedPage").then((m) => ({ default: m.DriftFeedPage })));
const SignInsPage = lazy(() => import("./signins/SignInsPage").then((m) => ({ default: m.SignInsPage })));
const SettingsPage = lazy(() => import("./settings/SettingsPage").then((m) => ({ default: m.SettingsPage })));
const UsersPage = lazy(() => import("./admin/UsersPage").then((m) => ({ default: m.UsersPage })));
const RolesPage = lazy(() => import("./admin/RolesPage").then((m) => ({ default: m.RolesPage })));
const ApiTokensPage = lazy(() => import("./admin/ApiTokensPage").then((m) => ({ default: m.ApiTokensPage })));
const TenantsPage = lazy(() => import("./admin/TenantsPage").then((m) => ({ default: m.TenantsPage })));

export function App() {
  return (
    <Suspense fallback={<Loading what="Loading the screen" />}>
      <AppRoutes />
    </Suspense>
  );
}

function AppRoutes() {
  return (
    <Routes>
      <Route path="/login" element={<LoginPage />} />
      <Route path="/auth/microsoft/done" element={<MicrosoftDone />} />
      <Route path="/" element={<SignedIn><Home /></SignedIn>} />
      <Route path="/admin/tenants" element={<SignedIn><Standalone><Allowed permission="tenants:manage"><TenantsPage /></Allowed></Standalone></SignedIn>} />
      <Route path="/t/:tenantId" element={<SignedIn><Shell /></SignedIn>}>
        <Route index element={<Navigate to="overview" replace />} />
        <Route path="overview" element={<Allowed permission="history:read"><OverviewPage /></Allowed>} />
        <Route path="configurations" element={<Allowed permission="configurations:read"><ConfigurationsPage /></Allowed>} />
        <Route path="configurations/:configurationId" element={<Allowed permission="configurations:read"><ConfigurationPage /></Allowed>} />
        <Route path="configurations/:configurationId/diff" element={<Allowed permission="history:read"><DiffPage /></Allowed>} />
        <Route path="drift" element={<Allowed permission="history:read"><DriftFeedPage /></Allowed>} />
        <Route path="sign-ins" element={<Allowed permission="signins:read"><SignInsPage /></Allowed>} />
        <Route path="settings" element={<Allowed permission="settings:read"><SettingsPage /></Allowed>} />
        <Route path="admin/users" element={<Allowed permission="users:read"><UsersPage /></Allowed>} />
        <Route path="admin/roles" element={<Allowed permission="roles:read"><RolesPage /></Allowed>} />
        <Route path="admin/api-tokens" element={<Allowed permission="api_tokens:manage"><ApiTokensPage /></Allowed>} />
        <Route path="*" element={<NotFound />} />
      </Route>
      <Route path="*" element={<NotFound />} />
    </Routes>
  );
}

/** Screens behind sign-in: anonymous visitors go to the sign-in page and come back after. */
function SignedIn({ children }: { children: ReactNode }) {
  const { session, identity, identityError, loadingIdentity } = useSession();
  const location = useLocation();
  if (!session) {
    const next = encodeURIComponent(location.pathname + location.search);
    return <Navigate to={`/login?next=${next}`} replace />;
  }
  if (loadingIdentity) return <Loading what="Signing in" />;
  if (!identity) return <ErrorPanel error={identityError} retry={() => window.location.reload()} />;
  return <>{children}</>;
}

function Home() {
  const { identity, can } = useSession();
  return <Navigate to={tenantPath(identity!.tenant_id, homeScreen(can))} replace />;
}

/** A screen outside any tenant (tenants administration) with a way back. */
function Standalone({ children }: { children: ReactNode }) {
  return (
    <div className="standalone">
      <a href="/">← Back</a>
      {children}
    </div>
  );
}

/** Shown instead of a screen the caller's role does not include (the API refuses it anyway). */
function Allowed({ permission, children }: { permission: Permission; children: ReactNode }) {
  const { can } = useSession();
  if (can(permission)) return <>{children}</>;
  return (
    <Empty title="You do not have access to this screen">
      It needs the <code>{permission}</code> permission. Ask an administrator of this tenant.
    </Empty>
  );
}

function NotFound() {
  return (
    <Empty title="Page not found">
      <a href="/">Go to the start page</a>
    </Empty>
  );
}
