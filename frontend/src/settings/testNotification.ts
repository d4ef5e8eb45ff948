// "Send test notification" for one channel, saved (by name) or as edited in the form.
import { api, type Schemas } from "../api/client";
import { toApiError } from "../api/problem";

export type TestTarget = { channel: string } | { definition: Schemas["NotificationChannel"] };

export type TestOutcome =
  | { kind: "delivered"; detail?: string }
  | { kind: "failed"; detail?: string }
  | { kind: "unsupported" };

export async function sendTestNotification(tenantId: number, target: TestTarget): Promise<TestOutcome> {
  const result = await api.POST("/api/v1/tenants/{tenant_id}/notifications/test", {
    params: { path: { tenant_id: tenantId } },
    body: target,
  });
  // A server older than the route answers 404 "no resource at POST …" (or 405); a 404 about the
  // channel itself (an unknown name) is a real answer.
  const detail404 = String((result.error as { detail?: unknown } | undefined)?.detail ?? "");
  if (result.response.status === 405 || (result.response.status === 404 && (!detail404 || detail404.startsWith("no resource at")))) {
    return { kind: "unsupported" };
  }
  if (!result.response.ok || !result.data) throw toApiError(result.response.status, result.error);
  const outcome = result.data;
  const how = [
    outcome.response_status != null ? `the receiver answered ${outcome.response_status}` : "",
    `in ${outcome.duration_ms} ms`,
  ]
    .filter(Boolean)
    .join(" ");
  const detail = [outcome.error ?? "", `(${how})`].filter(Boolean).join(" ");
  return outcome.delivered ? { kind: "delivered", detail: how } : { kind: "failed", detail };
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
