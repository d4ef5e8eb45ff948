// Per source: is polling healthy, when did it last succeed or fail, when does it run next.
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { api, unwrap, type Schemas } from "../api/client";
import { messageOf } from "../api/problem";
import { useSession } from "../auth/SessionProvider";
import { formatDateTime, formatRelative } from "../ui/format";
import { ErrorPanel, Loading } from "../ui/states";
import { isFailing } from "./periods";

const SOURCE_NAMES: Record<Schemas["PolledSource"], string> = {
  entra: "Entra ID",
  intune: "Intune",
  arm: "Azure resources",
  signins: "Sign-in logs",
};

function health(status: Schemas["SourceStatus"]): { label: string; className: string } {
  if (status.state === "running") return { label: "Polling now", className: "status-pending" };
  if (status.state === "disabled") return { label: "Disabled", className: "muted" };
  if (isFailing(status)) return { label: "Failing", className: "status-failing" };
  if (!status.last_success_at) return { label: "Waiting for first poll", className: "status-pending" };
  return { label: "Healthy", className: "status-ok" };
}

function When({ at }: { at: string | null | undefined }) {
  if (!at) return <>—</>;
  return (
    <time dateTime={at} title={formatDateTime(at)}>
      {formatRelative(at)}
    </time>
  );
}

export function PollHealth({ tenantId, refreshMs }: { tenantId: number; refreshMs: number }) {
  const { can } = useSession();
  const queryClient = useQueryClient();
  const status = useQuery({
    queryKey: ["poll-status", tenantId],
    refetchInterval: (query) => (query.state.data?.sources.some((s) => s.state === "running") ? 3_000 : refreshMs),
    queryFn: async () =>
      unwrap(await api.GET("/api/v1/tenants/{tenant_id}/poll-status", { params: { path: { tenant_id: tenantId } } })),
  });
  const pollNow = useMutation({
    mutationFn: async (source?: Schemas["PolledSource"]) =>
      unwrap(
        await api.POST("/api/v1/tenants/{tenant_id}/poll", {
          params: { path: { tenant_id: tenantId } },
          body: source ? { source } : {},
        }),
      ),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: ["poll-status", tenantId] }),
  });

  if (status.isPending) return <Loading what="Loading poll status" />;
  if (status.error) return <ErrorPanel error={status.error} retry={() => void status.refetch()} />;
  return (
    <>
      {!status.data.polling_enabled && (
        <p className="notice">Polling is switched off in this tenant's settings.</p>
      )}
      <div className="table-wrap">
        <table>
          <caption className="visually-hidden">Polling per source</caption>
          <thead>
            <tr>
              <th scope="col">Source</th>
              <th scope="col">Health</th>
              <th scope="col">Last success</th>
              <th scope="col">Last error</th>
              <th scope="col">Next run</th>
              {can("settings:write") && <th scope="col"><span className="visually-hidden">Actions</span></th>}
            </tr>
          </thead>
          <tbody>
            {status.data.sources.map((source) => {
              const { label, className } = health(source);
              return (
                <tr key={source.source}>
                  <th scope="row">{SOURCE_NAMES[source.source]}</th>
                  <td className={className}>{label}</td>
                  <td><When at={source.last_success_at} /></td>
                  <td>
                    {source.last_error ? (
                      <>
                        <When at={source.last_error_at} />
                        <div className="error-text">{source.last_error}</div>
                      </>
                    ) : (
                      "—"
                    )}
                  </td>
                  <td><When at={source.next_run_at} /></td>
                  {can("settings:write") && (
                    <td>
                      <button
                        type="button"
                        disabled={pollNow.isPending || source.state === "running" || source.state === "disabled"}
                        onClick={() => pollNow.mutate(source.source)}
                      >
                        Poll now
                      </button>
                    </td>
                  )}
                </tr>
              );
            })}
          </tbody>
        </table>
      </div>
      {pollNow.error && <p className="form-error" role="alert">{messageOf(pollNow.error)}</p>}
    </>
  );
}
