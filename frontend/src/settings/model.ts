// The settings form's working copy: the API's document plus what the form needs to keep track
// of (a stable key per list item, the saved name of a channel, a newly typed secret).
import type { Schemas } from "../api/client";

export type Settings = Schemas["Settings"];
export type SettingsInput = Schemas["SettingsInput"];
export type Channel = Schemas["NotificationChannel"];
export type ChannelKind = Schemas["ChannelKind"];
export type Severity = Schemas["Severity"];
export type Source = Schemas["Source"];
export type PolledSource = Schemas["PolledSource"];
export type IgnoreRule = Schemas["IgnoreRule"];
export type SeverityRule = Schemas["SeverityRule"];
export type ChangeType = Schemas["ChangeType"];

export const SEVERITIES: Severity[] = ["info", "low", "medium", "high", "critical"];
export const SOURCES: Source[] = ["entra", "intune", "arm"];
export const POLLED_SOURCES: PolledSource[] = ["entra", "intune", "arm", "signins"];
export const CHANGE_TYPES: ChangeType[] = ["created", "updated", "deleted"];
export const CHANNEL_KINDS: { kind: ChannelKind; label: string }[] = [
  { kind: "webhook", label: "Webhook" },
  { kind: "teams", label: "Microsoft Teams" },
  { kind: "slack", label: "Slack" },
  { kind: "email", label: "E-mail" },
];
export const SOURCE_LABELS: Record<PolledSource, string> = {
  entra: "Entra ID",
  intune: "Intune",
  arm: "Azure resources",
  signins: "Sign-in logs",
};

export interface ChannelDraft extends Channel {
  /** A stable React key (names can be edited). */
  key: string;
  /** The name it was saved under: the server keeps a webhook's secret by name. */
  savedName?: string;
  /** Whether the server holds a secret for it, when the server says so. */
  hasSecret?: boolean;
}

export type IgnoreDraft = IgnoreRule & { key: string };
export type RuleDraft = SeverityRule & { key: string };

export interface Draft {
  notification_settings: {
    min_severity: Severity;
    digest: { enabled: boolean; threshold: number; window_minutes: number };
    channels: ChannelDraft[];
  };
  polling_settings: {
    enabled: boolean;
    jitter_percent: number;
    disabled_sources: PolledSource[];
    intervals: { entra: number; intune: number; arm: number; signins: number };
    retention: { history_days: number; signin_days: number };
  };
  drift_thresholds: {
    default_severity: Severity;
    ignore_paths: IgnoreDraft[];
    severity_rules: RuleDraft[];
  };
}

let counter = 0;
export const newKey = () => `k${++counter}`;

/**
 * STAND-IN: whether a webhook channel has a secret. The API never returns the secret and (so
 * far) says nothing about it; a server that adds `has_secret` (or `secret_set`) to channels is
 * read here. Undefined means "not known".
 */
function hasSecretOf(channel: Channel): boolean | undefined {
  return channel.secret_set;
}

export function toDraft(settings: Settings): Draft {
  const n = settings.notification_settings;
  const p = settings.polling_settings;
  const d = settings.drift_thresholds;
  return {
    notification_settings: {
      min_severity: n.min_severity ?? "high",
      digest: { ...n.digest },
      channels: (n.channels ?? []).map((c) => ({
        name: c.name,
        kind: c.kind,
        enabled: c.enabled ?? true,
        min_severity: c.min_severity ?? null,
        url: c.url ?? null,
        recipients: c.recipients ?? [],
        key: newKey(),
        savedName: c.name,
        hasSecret: hasSecretOf(c),
      })),
    },
    polling_settings: {
      enabled: p.enabled ?? true,
      jitter_percent: p.jitter_percent ?? 10,
      disabled_sources: p.disabled_sources ?? [],
      intervals: { ...p.intervals },
      retention: { ...p.retention },
    },
    drift_thresholds: {
      default_severity: d.default_severity ?? "medium",
      ignore_paths: (d.ignore_paths ?? []).map((r) => ({ ...r, key: newKey() })),
      severity_rules: (d.severity_rules ?? []).map((r) => ({ ...r, key: newKey() })),
    },
  };
}

const blank = (v: string | null | undefined) => (v && v.trim() ? v.trim() : null);

/** One channel as the API takes it: only the fields of its kind; the secret only when typed. */
export function channelInput(c: ChannelDraft): Channel {
  const out: Channel = { name: c.name, kind: c.kind, enabled: c.enabled ?? true };
  if (c.min_severity) out.min_severity = c.min_severity;
  if (c.kind === "email") out.recipients = (c.recipients ?? []).map((r) => r.trim()).filter(Boolean);
  else out.url = c.url ?? null;
  if (c.kind === "webhook" && c.secret) out.secret = c.secret;
  return out;
}

/** The document to PUT. */
export function toInput(draft: Draft): SettingsInput {
  const { channels, ...notification } = draft.notification_settings;
  return {
    notification_settings: { ...notification, channels: channels.map(channelInput) },
    polling_settings: draft.polling_settings,
    drift_thresholds: {
      default_severity: draft.drift_thresholds.default_severity,
      ignore_paths: draft.drift_thresholds.ignore_paths.map(({ key: _key, ...r }) => ({
        path: r.path,
        resource_type: blank(r.resource_type),
        source: r.source ?? null,
        reason: blank(r.reason),
      })),
      severity_rules: draft.drift_thresholds.severity_rules.map(({ key: _key, ...r }) => ({
        severity: r.severity,
        source: r.source ?? null,
        resource_type: blank(r.resource_type),
        change_type: r.change_type ?? null,
        path_prefix: blank(r.path_prefix),
      })),
    },
  };
}

/** Whether two drafts would save the same document (keys and saved names aside). */
export function sameDocument(a: Draft, b: Draft): boolean {
  return JSON.stringify(toInput(a)) === JSON.stringify(toInput(b));
}
