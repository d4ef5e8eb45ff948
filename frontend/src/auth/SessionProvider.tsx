// Who is signed in, and the actions that change it. Server state (the identity) lives in
// TanStack Query; only the tokens live in the session module.
import { createContext, useCallback, useContext, useEffect, useMemo, useState, type ReactNode } from "react";
import { useQuery, useQueryClient } from "@tanstack/react-query";
import { api, unwrap, type Schemas } from "../api/client";
import { loadSession, refreshDueIn, refreshSession, saveSession, subscribe, type StoredSession } from "./session";

export type Identity = Schemas["Identity"];
export type Permission = Schemas["Permission"];

interface SessionContextValue {
  session: StoredSession | null;
  identity: Identity | undefined;
  identityError: unknown;
  loadingIdentity: boolean;
  /** Set when the API ended the session (expired or revoked), until the next sign-in. */
  expired: boolean;
  signIn(username: string, password: string): Promise<void>;
  completeMicrosoftSignIn(handoff: string): Promise<void>;
  signOut(): Promise<void>;
  can(permission: Permission): boolean;
}

const SessionContext = createContext<SessionContextValue | null>(null);

export function SessionProvider({ children }: { children: ReactNode }) {
  const queryClient = useQueryClient();
  const [session, setSession] = useState<StoredSession | null>(loadSession);
  const [expired, setExpired] = useState(false);

  useEffect(
    () =>
      subscribe((next, reason) => {
        setSession(next);
        if (reason === "expired") setExpired(true);
        if (!next) queryClient.clear();
      }),
    [queryClient],
  );

  // Renew the access token shortly before it expires, so the user never sees a 401.
  useEffect(() => {
    if (!session) return;
    const timer = window.setTimeout(() => void refreshSession(), refreshDueIn(session));
    return () => window.clearTimeout(timer);
  }, [session]);

  const me = useQuery({
    queryKey: ["me", session?.refreshToken ? "signed-in" : "anonymous"],
    enabled: session !== null,
    queryFn: async () => unwrap(await api.GET("/api/v1/auth/me")),
    staleTime: 60_000,
  });

  const signIn = useCallback(async (username: string, password: string) => {
    const result = await api.POST("/api/v1/auth/login", { body: { username, password } });
    setExpired(false);
    saveSession(unwrap(result));
  }, []);

  const completeMicrosoftSignIn = useCallback(async (handoff: string) => {
    const result = await api.POST("/api/v1/auth/microsoft/session", { body: { handoff } });
    setExpired(false);
    saveSession(unwrap(result));
  }, []);

  const signOut = useCallback(async () => {
    const current = loadSession();
    if (current) {
      // Revoke the refresh token on the server; sign out locally even if that fails.
      await api.POST("/api/v1/auth/logout", { body: { refresh_token: current.refreshToken } }).catch(() => undefined);
    }
    setExpired(false);
    saveSession(null);
  }, []);

  const identity = me.data;
  const value = useMemo<SessionContextValue>(
    () => ({
      session,
      identity,
      identityError: me.error,
      loadingIdentity: session !== null && me.isPending,
      expired,
      signIn,
      completeMicrosoftSignIn,
      signOut,
      can: (permission) => identity?.permissions.includes(permission) ?? false,
    }),
    [session, identity, me.error, me.isPending, expired, signIn, completeMicrosoftSignIn, signOut],
  );
  return <SessionContext.Provider value={value}>{children}</SessionContext.Provider>;
}

export function useSession(): SessionContextValue {
  const value = useContext(SessionContext);
  if (!value) throw new Error("useSession outside SessionProvider");
  return value;
}
