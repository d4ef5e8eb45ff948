// The tenant at a glance: how much drifted and how bad, the latest critical changes, whether
// polling is healthy. Refreshes itself every 30 s so new drift shows up without a reload.
import { useQueries, useQuery } from "@tanstack/react-query";
import { Link } from "react-router-dom";
import { api, unwrap } from "../api/client";
import { tenantPath, useTenantId } from "../tenant/useTenantId";
import { ErrorPanel, Loading } from "../ui/states";
import { PERIODS, windowStart, type DriftSummary, type PeriodKey } from "./periods";
import { DriftCharts } from "./DriftCharts";
import { PollHealth } from "./PollHealth";
import { LatestCritical } from "./LatestCritical";
import { SignInFailures } from "./SignInFailures";
import { useSession } from "../auth/SessionProvider";

const REFRESH_MS = 30_000;

export function OverviewPage() {
  const tenantId = useTenantId();
  const { can } = useSession();
  const summaries = useQueries({
    queries: PERIODS.map((period) => ({
      queryKey: ["drift-summary", tenantId, period.key],
      refetchInterval: REFRESH_MS,
      queryFn: async () =>
        unwrap(
          await api.GET("/api/v1/tenants/{tenant_id}/history/summary", {
            params: { path: { tenant_id: tenantId }, query: { since: windowStart(period.hours) } },
          }),
        ),
    })),
  });
  const byPeriod: Partial<Record<PeriodKey, DriftSummary>> = {};
  PERIODS.forEach((period, index) => {
    const data = summaries[index]?.data;
    if (data) byPeriod[period.key] = data;
  });
  const failed = summaries.find((q) => q.error);
  const month = byPeriod["30d"];

  return (
    <>
      <h1>Overview</h1>
      <section aria-labelledby="drift-heading">
        <h2 id="drift-heading">Drift</h2>
        {failed ? (
          <ErrorPanel error={failed.error} retry={() => summaries.forEach((q) => void q.refetch())} />
        ) : summaries.some((q) => q.isPending) ? (
          <Loading what="Counting changes" />
        ) : (
          <>
            <div className="cards">
              {PERIODS.map((period) => {
                const summary = byPeriod[period.key];
                return (
                  <Link
                    key={period.key}
                    className="card stat"
                    to={`${tenantPath(tenantId, "drift")}?since=${encodeURIComponent(windowStart(period.hours))}`}
                  >
                    <span className="stat-label">{period.label}</span>
                    <span className="stat-value">{summary?.total.toLocaleString() ?? "—"}</span>
                    <span className="stat-detail">
                      {summary && summary.by_severity.critical > 0 ? (
                        <span className="sev-critical">{summary.by_severity.critical} critical</span>
                      ) : (
                        "no critical changes"
                      )}
                    </span>
                  </Link>
                );
              })}
            </div>
            {month && month.total === 0 ? (
              <p className="muted">
                No changes in the last 30 days. Changes are recorded once a source's first poll has stored its
                baseline; the poll status below shows when that happened.
              </p>
            ) : (
              <DriftCharts summaries={byPeriod} />
            )}
          </>
        )}
      </section>
      <section aria-labelledby="critical-heading">
        <h2 id="critical-heading">Latest critical changes</h2>
        <LatestCritical tenantId={tenantId} refreshMs={REFRESH_MS} />
      </section>
      {can("signins:read") && (
        <section aria-labelledby="signins-heading">
          <h2 id="signins-heading">Sign-in failures</h2>
          <SignInFailures tenantId={tenantId} refreshMs={REFRESH_MS} />
        </section>
      )}
      <section aria-labelledby="poll-heading">
        <h2 id="poll-heading">Polling</h2>
        <PollHealth tenantId={tenantId} refreshMs={REFRESH_MS} />
      </section>
    </>
  );
}

/** The tenant's name, for headings elsewhere. */
export function useTenantName(tenantId: number) {
  return useQuery({
    queryKey: ["tenant", tenantId],
    queryFn: async () =>
      unwrap(await api.GET("/api/v1/tenants/{tenant_id}", { params: { path: { tenant_id: tenantId } } })),
  }).data?.name;
}
