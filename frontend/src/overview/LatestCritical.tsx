// The ten newest critical changes, each linking to what changed.
import { useQuery } from "@tanstack/react-query";
import { Link } from "react-router-dom";
import { api, unwrap } from "../api/client";
import { tenantPath } from "../tenant/useTenantId";
import { formatDateTime, formatRelative } from "../ui/format";
import { Empty, ErrorPanel, Loading } from "../ui/states";

export function LatestCritical({ tenantId, refreshMs }: { tenantId: number; refreshMs: number }) {
  const query = useQuery({
    queryKey: ["history", tenantId, "latest-critical"],
    refetchInterval: refreshMs,
    queryFn: async () =>
      unwrap(
        await api.GET("/api/v1/tenants/{tenant_id}/history", {
          params: {
            path: { tenant_id: tenantId },
            query: { min_severity: "critical", sort: "-changed_at", limit: 10 },
          },
        }),
      ),
  });
  if (query.isPending) return <Loading what="Loading critical changes" />;
  if (query.error) return <ErrorPanel error={query.error} retry={() => void query.refetch()} />;
  if (query.data.items.length === 0) return <Empty title="No critical changes recorded" />;
  return (
    <ul className="change-list">
      {query.data.items.map((entry) => (
        <li key={entry.id}>
          <Link to={`${tenantPath(tenantId, `configurations/${entry.configuration_id}/diff`)}?to=${entry.id}`}>
            {entry.resource_name || entry.resource_id}
          </Link>{" "}
          <span className="badge sev-critical">{entry.change_type}</span>{" "}
          <span className="muted">
            {entry.resource_type} · by {entry.changed_by} ·{" "}
            <time dateTime={entry.changed_at} title={formatDateTime(entry.changed_at)}>
              {formatRelative(entry.changed_at)}
            </time>
          </span>
        </li>
      ))}
    </ul>
  );
}
