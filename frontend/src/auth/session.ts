// The signed-in session: tokens kept in localStorage so a reload or a second tab stays signed
// in. Refresh tokens are single use and the API revokes a session whose refresh token is
// presented twice, so every refresh runs under a cross-tab Web Lock and first looks whether
// another tab already refreshed.
import type { components } from "../api/schema";

type SessionResponse = components["schemas"]["Session"];

export interface StoredSession {
  accessToken: string;
  refreshToken: string;
  /** Epoch milliseconds at which the access token expires. */
  expiresAt: number;
}

const STORAGE_KEY = "drift.session";
/** Refresh this long before the access token expires. */
const REFRESH_MARGIN_MS = 60_000;

type Listener = (session: StoredSession | null, reason: "changed" | "expired") => void;
const listeners = new Set<Listener>();

export function loadSession(): StoredSession | null {
  try {
    const raw = localStorage.getItem(STORAGE_KEY);
    if (!raw) return null;
    const parsed = JSON.parse(raw) as StoredSession;
    return parsed.accessToken && parsed.refreshToken ? parsed : null;
  } catch {
    return null;
  }
}

export function saveSession(response: SessionResponse | null): StoredSession | null {
  const session = response
    ? {
        accessToken: response.access_token,
        refreshToken: response.refresh_token,
        expiresAt: Date.now() + response.expires_in * 1000,
      }
    : null;
  if (session) localStorage.setItem(STORAGE_KEY, JSON.stringify(session));
  else localStorage.removeItem(STORAGE_KEY);
  notify(session, "changed");
  return session;
}

export function subscribe(listener: Listener): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

function notify(session: StoredSession | null, reason: "changed" | "expired") {
  listeners.forEach((l) => l(session, reason));
}

/** Another tab signed in, refreshed or signed out. */
if (typeof window !== "undefined") {
  window.addEventListener("storage", (event) => {
    if (event.key === STORAGE_KEY) notify(loadSession(), "changed");
  });
}

export function currentAccessToken(): string | undefined {
  return loadSession()?.accessToken;
}

/** Called when the API refused the session and no refresh could save it. */
export function signalSessionExpired() {
  if (!loadSession()) return;
  localStorage.removeItem(STORAGE_KEY);
  notify(null, "expired");
}

let inFlight: Promise<string | null> | null = null;

/**
 * A fresh access token, or null when the session cannot be renewed. `rejected` is the token
 * the API just refused: it is never handed back, even if it looks unexpired.
 */
export function refreshSession(rejected?: string): Promise<string | null> {
  inFlight ??= withLock(() => doRefresh(rejected)).finally(() => {
    inFlight = null;
  });
  return inFlight;
}

async function withLock<T>(task: () => Promise<T>): Promise<T> {
  const locks = typeof navigator !== "undefined" ? navigator.locks : undefined;
  return locks ? locks.request("drift.session.refresh", task) : task();
}

async function doRefresh(rejected: string | undefined): Promise<string | null> {
  const before = loadSession();
  if (!before) return null;
  // Another tab may have refreshed while this one waited for the lock.
  if (before.expiresAt - Date.now() > REFRESH_MARGIN_MS && before.accessToken !== rejected) {
    return before.accessToken;
  }
  const response = await fetch("/api/v1/auth/refresh", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ refresh_token: before.refreshToken }),
  }).catch(() => null);
  if (!response) return null; // offline: keep the session, the next request tries again
  if (!response.ok) {
    signalSessionExpired();
    return null;
  }
  return saveSession((await response.json()) as SessionResponse)?.accessToken ?? null;
}

/** Milliseconds until the session should be refreshed (0 when due). */
export function refreshDueIn(session: StoredSession): number {
  return Math.max(0, session.expiresAt - REFRESH_MARGIN_MS - Date.now());
}
