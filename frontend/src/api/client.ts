// The one API client of the app: typed from the generated schema, with the session's access
// token on every request and a silent refresh when the API answers 401.
import createClient, { type Middleware } from "openapi-fetch";
import type { components, paths } from "./schema";
import { currentAccessToken, refreshSession, signalSessionExpired } from "../auth/session";
import { ApiError, toApiError } from "./problem";

export type Schemas = components["schemas"];

const AUTH_ROUTES = ["/api/v1/auth/login", "/api/v1/auth/refresh", "/api/v1/auth/microsoft/session"];

// A request's body can be read once; keep a copy to send again after a refresh.
const originals = new WeakMap<Request, Request>();

const authentication: Middleware = {
  onRequest({ request }) {
    const token = currentAccessToken();
    if (token) request.headers.set("Authorization", `Bearer ${token}`);
    originals.set(request, request.clone());
    return request;
  },
  async onResponse({ request, response }) {
    if (response.status !== 401 || AUTH_ROUTES.some((r) => new URL(request.url).pathname === r)) {
      return response;
    }
    const used = request.headers.get("Authorization")?.replace(/^Bearer /, "");
    const token = await refreshSession(used);
    if (!token) {
      signalSessionExpired();
      return response;
    }
    const retry = (originals.get(request) ?? request).clone();
    retry.headers.set("Authorization", `Bearer ${token}`);
    return globalThis.fetch(retry);
  },
};

export const api = createClient<paths>({
  baseUrl: window.location.origin,
  // Looked up on each call rather than captured once, so tests can stand in for the network.
  fetch: (request) => globalThis.fetch(request),
});
api.use(authentication);

/** The data of an openapi-fetch result, or the problem it carries as an `ApiError`. */
export function unwrap<T>(result: { data?: T; error?: unknown; response: Response }): T {
  if (result.error !== undefined || !result.response.ok) {
    throw toApiError(result.response.status, result.error);
  }
  return result.data as T;
}

export { ApiError };
