// Where the settings API's validation errors belong, and the list of them at the top.
//
// The API names most fields exactly (`polling_settings.intervals.entra`), but it reports some
// checks of a whole channel on the channel (`notification_settings.channels[0]` with code
// `url_scheme`), a bad address on the channel too (code `email`), and duplicate channel names
// on `notification_settings` (code `unique`). `targetOf` sends each to the field a person fixes.
import type { FieldError } from "../api/problem";
import { fieldId } from "../ui/fieldErrors";

const CHANNEL_CODE_FIELD: Record<string, string> = {
  url_scheme: "url",
  url_required: "url",
  url: "url",
  recipients: "recipients",
  email: "recipients",
  secret_not_allowed: "secret",
};

/** The path of the form field an error belongs to. */
export function targetOf(error: FieldError): string {
  const channel = /^notification_settings\.channels\[\d+\]$/.exec(error.field);
  if (channel) {
    const sub = CHANNEL_CODE_FIELD[error.code];
    return sub ? `${error.field}.${sub}` : error.field;
  }
  const recipient = /^(notification_settings\.channels\[\d+\]\.recipients)\[\d+\]$/.exec(error.field);
  if (recipient) return recipient[1]!;
  if (error.field === "notification_settings" && error.code === "unique") return "notification_settings.channels";
  return error.field;
}

const LEAF_LABELS: Record<string, string> = {
  url: "URL",
  recipients: "Recipients",
  secret: "Signing secret",
  name: "Name",
  kind: "Kind",
  min_severity: "Minimum severity",
  threshold: "Digest threshold",
  window_minutes: "Digest window",
  entra: "Entra ID interval",
  intune: "Intune interval",
  arm: "Azure resources interval",
  signins: "Sign-in logs interval",
  jitter_percent: "Jitter",
  history_days: "History retention",
  signin_days: "Sign-in retention",
  path: "Path",
  path_prefix: "Path prefix",
  resource_type: "Resource type",
  severity: "Severity",
  default_severity: "Default severity",
};

/** A field path in words: `notification_settings.channels[0].url` → "Channel 1 › URL". */
export function labelOf(path: string, channelNames: string[] = []): string {
  const parts: string[] = [];
  for (const segment of path.split(".")) {
    const indexed = /^(\w+)\[(\d+)\]$/.exec(segment);
    if (indexed) {
      const i = Number(indexed[2]);
      if (indexed[1] === "channels") parts.push(channelNames[i] ? `Channel “${channelNames[i]}”` : `Channel ${i + 1}`);
      else if (indexed[1] === "ignore_paths") parts.push(`Ignored path ${i + 1}`);
      else if (indexed[1] === "severity_rules") parts.push(`Severity rule ${i + 1}`);
      else parts.push(`${indexed[1]} ${i + 1}`);
      continue;
    }
    if (segment === "notification_settings") parts.push("Notifications");
    else if (segment === "polling_settings") parts.push("Polling");
    else if (segment === "drift_thresholds") parts.push("Drift thresholds");
    else if (segment === "channels") parts.push("Channels");
    else if (segment === "intervals" || segment === "digest" || segment === "retention") continue;
    else parts.push(LEAF_LABELS[segment] ?? segment);
  }
  return parts.join(" › ");
}

/** Every error at the top, each a link to its field. */
export function ErrorSummary({ title, errors, channelNames }: { title: string; errors: FieldError[]; channelNames: string[] }) {
  return (
    <div className="error-summary" role="alert" tabIndex={-1} id="settings-errors">
      <strong>{title}</strong>
      {errors.length > 0 && (
        <ul>
          {errors.map((e, i) => (
            <li key={i}>
              <a
                href={`#${fieldId(targetOf(e))}`}
                onClick={(event) => {
                  const target = document.getElementById(fieldId(targetOf(e)));
                  if (target) {
                    event.preventDefault();
                    target.focus();
                    target.scrollIntoView?.({ block: "center" });
                  }
                }}
              >
                {labelOf(targetOf(e), channelNames)}
              </a>
              : {e.message}
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}
