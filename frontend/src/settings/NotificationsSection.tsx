// Where drift is announced: the tenant's threshold, the digest, and each channel.
import { useState } from "react";
import { messageOf } from "../api/problem";
import { CheckField, NumberField, SelectField, TextField } from "../ui/fields";
import { FieldErrors, fieldId, useFieldProps } from "../ui/fieldErrors";
import { CHANNEL_KINDS, channelInput, newKey, SEVERITIES, type ChannelDraft, type Draft, type Severity } from "./model";
import { describeOutcome, sendTestNotification, type TestOutcome } from "./testNotification";

type Notifications = Draft["notification_settings"];

const severityOptions = SEVERITIES.map((s) => ({ value: s, label: s[0]!.toUpperCase() + s.slice(1) }));

export function NotificationsSection({
  value,
  saved,
  onChange,
  canWrite,
  tenantId,
}: {
  value: Notifications;
  /** The channels as saved, to tell whether a test can name the saved channel. */
  saved: ChannelDraft[];
  onChange(value: Notifications): void;
  canWrite: boolean;
  tenantId: number;
}) {
  const setChannel = (i: number, channel: ChannelDraft) =>
    onChange({ ...value, channels: value.channels.map((c, j) => (j === i ? channel : c)) });
  const base = "notification_settings";
  return (
    <section className="card form-section" aria-labelledby="sec-notifications">
      <h2 id="sec-notifications">Notifications</h2>
      <div className="form-grid">
        <SelectField
          path={`${base}.min_severity`}
          label="Announce changes from"
          hint="Changes below this severity are not sent (a channel may raise it for itself)."
          value={value.min_severity}
          options={severityOptions}
          onChange={(min_severity) => onChange({ ...value, min_severity })}
        />
      </div>
      <fieldset className="plain">
        <legend>Digest</legend>
        <CheckField
          path={`${base}.digest.enabled`}
          label="Send one digest when many changes arrive at once"
          checked={value.digest.enabled}
          onChange={(enabled) => onChange({ ...value, digest: { ...value.digest, enabled } })}
        />
        <div className="form-grid">
          <NumberField
            path={`${base}.digest.threshold`}
            label="From this many changes in one poll"
            value={value.digest.threshold}
            min={2}
            max={10000}
            hint="2 to 10 000"
            onChange={(threshold) => onChange({ ...value, digest: { ...value.digest, threshold: threshold as number } })}
          />
          <NumberField
            path={`${base}.digest.window_minutes`}
            label="Gather changes for"
            unit="minutes"
            value={value.digest.window_minutes}
            min={1}
            max={1440}
            hint="1 to 1440"
            onChange={(window_minutes) => onChange({ ...value, digest: { ...value.digest, window_minutes: window_minutes as number } })}
          />
        </div>
      </fieldset>
      <h3 id={fieldId(`${base}.channels`)} tabIndex={-1}>
        Channels
      </h3>
      <FieldErrors path={`${base}.channels`} />
      {value.channels.length === 0 && <p className="muted">No channels: drift is recorded but not announced.</p>}
      {value.channels.map((channel, i) => (
        <ChannelEditor
          key={channel.key}
          index={i}
          channel={channel}
          saved={saved.find((s) => s.savedName === channel.savedName)}
          canWrite={canWrite}
          tenantId={tenantId}
          onChange={(c) => setChannel(i, c)}
          onRemove={() => onChange({ ...value, channels: value.channels.filter((_, j) => j !== i) })}
        />
      ))}
      {canWrite && (
        <button
          type="button"
          disabled={value.channels.length >= 20}
          onClick={() =>
            onChange({
              ...value,
              channels: [...value.channels, { key: newKey(), name: "", kind: "webhook", enabled: true, url: "", recipients: [], min_severity: null }],
            })
          }
        >
          Add channel
        </button>
      )}
    </section>
  );
}

function ChannelEditor({
  index,
  channel,
  saved,
  canWrite,
  tenantId,
  onChange,
  onRemove,
}: {
  index: number;
  channel: ChannelDraft;
  saved: ChannelDraft | undefined;
  canWrite: boolean;
  tenantId: number;
  onChange(c: ChannelDraft): void;
  onRemove(): void;
}) {
  const path = `notification_settings.channels[${index}]`;
  const set = (patch: Partial<ChannelDraft>) => onChange({ ...channel, ...patch });
  const recipientsProps = useFieldProps(`${path}.recipients`);
  const title = channel.name.trim() || `New channel ${index + 1}`;
  return (
    <fieldset className="channel" aria-label={`Channel ${title}`}>
      <div className="channel-head">
        <h3>{title}</h3>
        {canWrite && (
          <button type="button" className="danger" onClick={onRemove}>
            Remove
          </button>
        )}
      </div>
      <FieldErrors path={path} />
      <div className="form-grid">
        <TextField path={`${path}.name`} label="Name" value={channel.name} onChange={(name) => set({ name })} />
        <SelectField
          path={`${path}.kind`}
          label="Kind"
          value={channel.kind}
          options={CHANNEL_KINDS.map((k) => ({ value: k.kind, label: k.label }))}
          onChange={(kind) => set({ kind })}
        />
        <SelectField<Severity | "">
          path={`${path}.min_severity`}
          label="Minimum severity"
          value={channel.min_severity ?? ""}
          options={[{ value: "", label: "As the tenant" }, ...severityOptions]}
          onChange={(s) => set({ min_severity: s === "" ? null : s })}
        />
      </div>
      <CheckField path={`${path}.enabled`} label="Enabled" checked={channel.enabled ?? true} onChange={(enabled) => set({ enabled })} />
      {channel.kind === "email" ? (
        <label>
          Recipients (one per line)
          <textarea
            {...recipientsProps}
            rows={3}
            value={(channel.recipients ?? []).join("\n")}
            onChange={(e) => set({ recipients: e.target.value.split("\n") })}
          />
          <FieldErrors path={`${path}.recipients`} />
        </label>
      ) : (
        <TextField
          path={`${path}.url`}
          label={channel.kind === "webhook" ? "Webhook URL" : channel.kind === "teams" ? "Teams webhook URL" : "Slack webhook URL"}
          type="url"
          placeholder="https://"
          hint={
            channel.url?.includes("…")
              ? "Shown masked, as the server keeps it secret: it stays as saved unless you replace it whole."
              : "https (http only to this machine)"
          }
          value={channel.url ?? ""}
          onChange={(url) => set({ url })}
        />
      )}
      {channel.kind === "webhook" && <SecretField path={`${path}.secret`} channel={channel} onChange={(secret) => set({ secret })} />}
      <TestButton tenantId={tenantId} channel={channel} saved={saved} disabled={!canWrite} />
    </fieldset>
  );
}

function SecretField({ path, channel, onChange }: { path: string; channel: ChannelDraft; onChange(secret: string): void }) {
  const renamed = channel.savedName !== undefined && channel.savedName !== channel.name;
  const status =
    channel.savedName === undefined
      ? "No secret yet"
      : channel.hasSecret === true
        ? "Secret set"
        : channel.hasSecret === false
          ? "No secret set"
          : "Secret not shown";
  const hint = channel.secret
    ? "The new secret replaces the current one when you save."
    : renamed
      ? "Renaming drops the secret: the server keeps it by channel name. Enter it again to keep signing."
      : channel.savedName === undefined
        ? "Optional: 16 to 256 characters; messages are signed with it (X-Drift-Signature)."
        : "Leave empty to keep the current secret, if one is set. It is never shown again.";
  return (
    <TextField
      path={path}
      label={
        <span>
          Signing secret <span className="badge">{status}</span>
        </span>
      }
      type="password"
      autoComplete="new-password"
      value={channel.secret ?? ""}
      hint={hint}
      onChange={onChange}
    />
  );
}

function TestButton({ tenantId, channel, saved, disabled }: { tenantId: number; channel: ChannelDraft; saved?: ChannelDraft; disabled: boolean }) {
  const [state, setState] = useState<{ busy: boolean; outcome?: TestOutcome; error?: string }>({ busy: false });
  // The saved channel by name when it is unchanged, else the definition on screen.
  const unchanged = saved && !channel.secret && JSON.stringify(channelInput(saved)) === JSON.stringify(channelInput(channel));
  async function run() {
    setState({ busy: true });
    try {
      const outcome = await sendTestNotification(
        tenantId,
        unchanged ? { channel: channel.name } : { definition: channelInput(channel) },
      );
      setState({ busy: false, outcome });
    } catch (error) {
      setState({ busy: false, error: messageOf(error) });
    }
  }
  return (
    <div className="row-actions">
      <button type="button" onClick={() => void run()} disabled={disabled || state.busy}>
        {state.busy ? "Sending…" : "Send test notification"}
      </button>
      <span className="test-result" role="status">
        {state.outcome && (
          <span className={state.outcome.kind === "delivered" ? "status-ok" : state.outcome.kind === "failed" ? "status-failing" : "muted"}>
            {describeOutcome(state.outcome)}
          </span>
        )}
        {state.error && <span className="status-failing">{state.error}</span>}
      </span>
    </div>
  );
}
