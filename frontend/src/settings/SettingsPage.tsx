// Settings: notification channels, polling and retention, drift thresholds; saved as a new
// version whose validation errors are shown beside their fields; and the history of versions.
import { useEffect, useRef, useState, type FormEvent } from "react";
import { Link, useSearchParams } from "react-router-dom";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { api, unwrap } from "../api/client";
import { ApiError, messageOf } from "../api/problem";
import { useSession } from "../auth/SessionProvider";
import { useTenantId } from "../tenant/useTenantId";
import { ErrorPanel, Loading } from "../ui/states";
import { formatDateTime } from "../ui/format";
import { FieldErrorsProvider } from "../ui/fieldErrors";
import { ErrorSummary, targetOf } from "./fieldErrors";
import { sameDocument, toDraft, toInput, type Draft, type Settings } from "./model";
import { NotificationsSection } from "./NotificationsSection";
import { PollingSection } from "./PollingSection";
import { ThresholdsSection } from "./ThresholdsSection";
import { SettingsHistory } from "./SettingsHistory";
import { useUnsavedChangesWarning } from "./useUnsavedChangesWarning";

export function SettingsPage() {
  const tenantId = useTenantId();
  const [params] = useSearchParams();
  const tab = params.get("tab") === "history" ? "history" : "settings";
  const settings = useQuery({
    queryKey: ["settings", tenantId, "current"],
    queryFn: async () => unwrap(await api.GET("/api/v1/tenants/{tenant_id}/settings", { params: { path: { tenant_id: tenantId } } })),
    // A form being edited must not be replaced under the user's hands.
    refetchOnWindowFocus: false,
    staleTime: Infinity,
  });

  return (
    <div className="settings">
      <h1>Settings</h1>
      <nav className="tabs" aria-label="Settings views">
        <Link to="?" aria-current={tab === "settings" ? "page" : undefined}>
          Settings
        </Link>
        <Link to="?tab=history" aria-current={tab === "history" ? "page" : undefined}>
          History
        </Link>
      </nav>
      {settings.isPending ? (
        <Loading what="Loading the settings" />
      ) : settings.isError ? (
        <ErrorPanel error={settings.error} retry={() => void settings.refetch()} />
      ) : tab === "history" ? (
        <SettingsHistory tenantId={tenantId} current={settings.data} />
      ) : (
        <SettingsForm tenantId={tenantId} saved={settings.data} />
      )}
    </div>
  );
}

function SettingsForm({ tenantId, saved }: { tenantId: number; saved: Settings }) {
  const { can } = useSession();
  const canWrite = can("settings:write");
  const queryClient = useQueryClient();
  const [baseline, setBaseline] = useState<Draft>(() => toDraft(saved));
  const [draft, setDraft] = useState<Draft>(baseline);
  const [savedAt, setSavedAt] = useState<string | null>(null);
  const summaryRef = useRef<HTMLDivElement>(null);
  const dirty = !sameDocument(draft, baseline) || draft.notification_settings.channels.some((c) => c.secret);
  useUnsavedChangesWarning(canWrite && dirty);

  const save = useMutation({
    mutationFn: async (next: Draft) =>
      unwrap(await api.PUT("/api/v1/tenants/{tenant_id}/settings", { params: { path: { tenant_id: tenantId } }, body: toInput(next) })),
    onSuccess: (result) => {
      const next = toDraft(result);
      setBaseline(next);
      setDraft(next);
      setSavedAt(result.last_updated ?? new Date().toISOString());
      queryClient.setQueryData(["settings", tenantId, "current"], result);
      void queryClient.invalidateQueries({ queryKey: ["settings", tenantId, "history"] });
    },
  });

  // Move to the list of problems so keyboard and screen-reader users learn what failed.
  useEffect(() => {
    if (save.isError) summaryRef.current?.querySelector<HTMLElement>(".error-summary, .form-error")?.focus();
  }, [save.isError, save.error]);

  const error = save.error instanceof ApiError ? save.error : null;
  const fieldErrors = error?.problem?.errors ?? [];
  const channelNames = draft.notification_settings.channels.map((c) => c.name);

  function submit(event: FormEvent) {
    event.preventDefault();
    setSavedAt(null);
    save.mutate(draft);
  }

  return (
    <FieldErrorsProvider errors={save.isError ? fieldErrors : []} targetOf={targetOf}>
      <form noValidate onSubmit={submit} aria-label="Settings">
        <p className="muted">
          {saved.id == null ? "The defaults are in force: nothing was saved yet." : `Version #${saved.id}, saved ${formatDateTime(saved.last_updated)}.`}
        </p>
        {!canWrite && (
          <p className="notice" role="note">
            You can view these settings. Changing them needs the <code>settings:write</code> permission.
          </p>
        )}
        <div ref={summaryRef}>
          {save.isError &&
            (fieldErrors.length > 0 ? (
              <ErrorSummary
                title={`The settings were not saved: ${fieldErrors.length === 1 ? "one value needs" : `${fieldErrors.length} values need`} fixing.`}
                errors={fieldErrors}
                channelNames={channelNames}
              />
            ) : (
              <p className="form-error" role="alert" tabIndex={-1}>
                The settings were not saved. {messageOf(save.error)}
              </p>
            ))}
        </div>
        <fieldset disabled={!canWrite} className="plain">
          <NotificationsSection
            value={draft.notification_settings}
            saved={baseline.notification_settings.channels}
            canWrite={canWrite}
            tenantId={tenantId}
            onChange={(notification_settings) => setDraft({ ...draft, notification_settings })}
          />
          <PollingSection value={draft.polling_settings} onChange={(polling_settings) => setDraft({ ...draft, polling_settings })} />
          <ThresholdsSection
            value={draft.drift_thresholds}
            canWrite={canWrite}
            onChange={(drift_thresholds) => setDraft({ ...draft, drift_thresholds })}
          />
        </fieldset>
        {canWrite && (
          <div className="save-bar">
            <button type="submit" className="primary" disabled={save.isPending || !dirty}>
              {save.isPending ? "Saving…" : "Save settings"}
            </button>
            <button type="button" disabled={!dirty || save.isPending} onClick={() => (setDraft(baseline), save.reset())}>
              Discard changes
            </button>
            <span role="status" className="muted">
              {dirty ? "Unsaved changes" : savedAt ? `Saved ${formatDateTime(savedAt)}.` : "No changes"}
            </span>
          </div>
        )}
      </form>
    </FieldErrorsProvider>
  );
}
