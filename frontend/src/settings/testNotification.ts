// "Send test notification" for one channel.
//
// STAND-IN: POST /api/v1/tenants/{tenant_id}/notifications/test is not in openapi.json yet. It
// is described as taking {"channel": "<saved channel name>"} or {"definition": {channel}} and
// answering 200 {delivered: bool, status?, detail?}. Everything about it is in this file: when
// it lands, call it through the typed `api.POST` and use the generated response type below.
import { api, type Schemas } from "../api/client";
import { toApiError } from "../api/problem";

export type TestTarget = { channel: string } | { definition: Schemas["NotificationChannel"] };

export type TestOutcome =
  | { kind: "delivered"; detail?: string }
  | { kind: "failed"; detail?: string }
  | { kind: "unsupported" };

interface RawTestResult {
  delivered?: boolean;
  status?: number | string | null;
  detail?: string | null;
  error?: string | null;
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
  const detail = [raw.status != null ? `status ${raw.status}` : "", raw.detail ?? raw.error ?? ""].filter(Boolean).join(": ");
  return raw.delivered ? { kind: "delivered", detail: detail || undefined } : { kind: "failed", detail: detail || undefined };
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
