// "Send test notification" for one channel.
//
// STAND-IN: POST /api/v1/tenants/{tenant_id}/notifications/test is not in this branch's
// openapi.json yet. It takes {"channel": "<saved channel name>"} or {"definition": {channel}}
// and answers 200 `TestNotificationResult` {channel, kind, delivered, response_status,
// duration_ms, error} (as on the API branch `api-notify`, commit f30d765). Everything about it
// is in this file: when it lands, call it through the typed `api.POST` and replace
// `RawTestResult` with `Schemas["TestNotificationResult"]`.
import { api, type Schemas } from "../api/client";
import { toApiError } from "../api/problem";

export type TestTarget = { channel: string } | { definition: Schemas["NotificationChannel"] };

export type TestOutcome =
  | { kind: "delivered"; detail?: string }
  | { kind: "failed"; detail?: string }
  | { kind: "unsupported" };

interface RawTestResult {
  delivered?: boolean;
  response_status?: number | null;
  duration_ms?: number | null;
  error?: string | null;
  /** The first description's names. */
  status?: number | string | null;
  detail?: string | null;
}

export async function sendTestNotification(tenantId: number, target: TestTarget): Promise<TestOutcome> {
  const untyped = api.POST as unknown as (
    path: string,
    init: { params: { path: Record<string, number> }; body: unknown },
  ) => Promise<{ data?: unknown; error?: unknown; response: Response }>;
  const result = await untyped("/api/v1/tenants/{tenant_id}/notifications/test", {
    params: { path: { tenant_id: tenantId } },
    body: target,
  });
  // A server without the route answers 404 "no resource at POST …" (or 405); a 404 about the
  // channel itself (an unknown name) is a real answer.
  const detail404 = String((result.error as { detail?: unknown } | undefined)?.detail ?? "");
  if (result.response.status === 405 || (result.response.status === 404 && (!detail404 || detail404.startsWith("no resource at")))) {
    return { kind: "unsupported" };
  }
  if (!result.response.ok) throw toApiError(result.response.status, result.error);
  const raw = (result.data ?? {}) as RawTestResult;
  const status = raw.response_status ?? raw.status;
  const how = [status != null ? `the receiver answered ${status}` : "", raw.duration_ms != null ? `in ${raw.duration_ms} ms` : ""]
    .filter(Boolean)
    .join(" ");
  const why = raw.error ?? raw.detail ?? "";
  const detail = [why, how ? `(${how})` : ""].filter(Boolean).join(" ");
  return raw.delivered ? { kind: "delivered", detail: how || undefined } : { kind: "failed", detail: detail || undefined };
}

/** The outcome in words. */
export function describeOutcome(outcome: TestOutcome): string {
  switch (outcome.kind) {
    case "unsupported":
      return "Sending test notifications needs a newer server.";
    case "delivered":
      return `Test notification delivered${outcome.detail ? ` (${outcome.detail})` : ""}.`;
    case "failed":
      return `The test notification was not delivered${outcome.detail ? `: ${outcome.detail}` : "."}`;
  }
}
