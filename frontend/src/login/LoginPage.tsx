// Sign-in: a local password, or Microsoft (Entra) for the organisation the user names.
import { useState, type FormEvent } from "react";
import { Navigate, useLocation, useNavigate } from "react-router-dom";
import { ApiError, messageOf } from "../api/problem";
import { useSession } from "../auth/SessionProvider";

const LAST_TENANT_KEY = "drift.microsoft.tenant";

function signInMessage(error: unknown): string {
  if (error instanceof ApiError) {
    if (error.status === 401) return "The username or password is wrong.";
    if (error.status === 429) {
      return `This account or address is locked after too many failed sign-ins. ${error.problem?.detail ?? ""}`.trim();
    }
  }
  return messageOf(error);
}

export function LoginPage() {
  const { session, signIn, expired } = useSession();
  const navigate = useNavigate();
  const location = useLocation();
  const next = new URLSearchParams(location.search).get("next") ?? "/";
  const [username, setUsername] = useState("");
  const [password, setPassword] = useState("");
  const [tenant, setTenant] = useState(() => localStorage.getItem(LAST_TENANT_KEY) ?? "");
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  if (session && !busy) return <Navigate to={next} replace />;

  async function submit(event: FormEvent) {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await signIn(username.trim(), password);
      navigate(next.startsWith("/") ? next : "/", { replace: true });
    } catch (caught) {
      setError(signInMessage(caught));
      setPassword("");
    } finally {
      setBusy(false);
    }
  }

  function microsoft(event: FormEvent) {
    event.preventDefault();
    const value = tenant.trim();
    if (!value) {
      setError("Enter your organisation's tenant id to sign in with Microsoft.");
      return;
    }
    localStorage.setItem(LAST_TENANT_KEY, value);
    window.location.assign(`/api/v1/auth/microsoft/login?tenant=${encodeURIComponent(value)}`);
  }

  return (
    <div className="login">
      <div className="login-card">
        <h1>Azure Drift Detector</h1>
        {expired && !error && (
          <p className="notice" role="status">
            Your session has expired. Please sign in again.
          </p>
        )}
        {error && (
          <p className="form-error" role="alert">
            {error}
          </p>
        )}
        <form onSubmit={submit} aria-label="Sign in with a password">
          <label>
            Username or e-mail
            <input
              name="username"
              autoComplete="username"
              value={username}
              onChange={(e) => setUsername(e.target.value)}
              required
              autoFocus
            />
          </label>
          <label>
            Password
            <input
              name="password"
              type="password"
              autoComplete="current-password"
              value={password}
              onChange={(e) => setPassword(e.target.value)}
              required
            />
          </label>
          <button type="submit" className="primary" disabled={busy}>
            {busy ? "Signing in…" : "Sign in"}
          </button>
        </form>
        <div className="divider">or</div>
        <form onSubmit={microsoft} aria-label="Sign in with Microsoft">
          <label>
            Organisation (tenant id)
            <input
              name="tenant"
              value={tenant}
              placeholder="72f988bf-86f1-41af-91ab-2d7cd011db47"
              onChange={(e) => setTenant(e.target.value)}
            />
          </label>
          <button type="submit">Sign in with Microsoft</button>
        </form>
      </div>
    </div>
  );
}
