// One sign-in event in a side panel: the main facts, then the whole event as Entra sent it.
import { useQuery } from "@tanstack/react-query";
import { api, unwrap } from "../api/client";
import { Dialog } from "../ui/Dialog";
import { JsonView } from "../ui/JsonView";
import { ErrorPanel, Loading } from "../ui/states";
import { formatDateTime } from "../ui/format";
import { countryOf } from "./summary";
import { StatusBadge } from "./StatusBadge";

export function SignInDetail({ tenantId, id, onClose }: { tenantId: number; id: number; onClose(): void }) {
  const event = useQuery({
    queryKey: ["signins", tenantId, "event", id],
    enabled: Number.isSafeInteger(id) && id > 0,
    queryFn: async () =>
      unwrap(await api.GET("/api/v1/tenants/{tenant_id}/signing-logs/{id}", { params: { path: { tenant_id: tenantId, id } } })),
  });

  return (
    <Dialog title="Sign-in event" variant="panel" onClose={onClose}>
      {event.isPending ? (
        <Loading what="Loading the event" />
      ) : event.isError ? (
        <ErrorPanel error={event.error} retry={() => void event.refetch()} />
      ) : (
        <>
          <dl className="facts">
            <dt>Time</dt>
            <dd>{formatDateTime(event.data.timestamp)}</dd>
            <dt>User</dt>
            <dd>{event.data.actor ?? "—"}</dd>
            <dt>Application</dt>
            <dd>{event.data.action ?? "—"}</dd>
            <dt>Resource</dt>
            <dd>{event.data.resource ?? "—"}</dd>
            <dt>Status</dt>
            <dd>
              <StatusBadge status={event.data.status} />
            </dd>
            <dt>IP address</dt>
            <dd className="mono">{event.data.client_ip ?? "—"}</dd>
            {countryOf(event.data) && (
              <>
                <dt>Country</dt>
                <dd>{countryOf(event.data)}</dd>
              </>
            )}
            <dt>Event id</dt>
            <dd className="mono">{event.data.log_id}</dd>
          </dl>
          <h3>Event as received</h3>
          <JsonView value={event.data.log_data} label="Event JSON" />
        </>
      )}
    </Dialog>
  );
}
