// Failed sign-ins per day over the last week, next to the drift: a spike of failures and a
// changed conditional access policy are often the same story.
import { useQuery } from "@tanstack/react-query";
import { Link } from "react-router-dom";
import { Bar, BarChart, CartesianGrid, Legend, ResponsiveContainer, Tooltip, XAxis, YAxis } from "recharts";
import { fetchSignInSummary } from "../signins/summary";
import { tenantPath } from "../tenant/useTenantId";
import { Empty, ErrorPanel, Loading } from "../ui/states";
import { windowStart } from "./periods";

const axis = { stroke: "var(--muted)", fontSize: 12 };

export function SignInFailures({ tenantId, refreshMs }: { tenantId: number; refreshMs: number }) {
  const since = windowStart(24 * 7);
  const query = useQuery({
    queryKey: ["signin-summary", tenantId, "overview", since],
    refetchInterval: refreshMs,
    queryFn: () => fetchSignInSummary(tenantId, { since, bucket: "day" }),
  });
  if (query.isPending) return <Loading what="Counting sign-ins" />;
  if (query.error) return <ErrorPanel error={query.error} retry={() => void query.refetch()} />;
  const summary = query.data;
  if (!summary) return <Empty title="This server cannot summarise sign-ins" />;
  if (summary.totals.total === 0) {
    return <Empty title="No sign-ins in the last 7 days">Sign-in logs need an Entra ID P1 or P2 licence.</Empty>;
  }
  const days = summary.overTime.map((p) => ({ day: p.bucket.slice(0, 10), failed: p.failure, succeeded: p.success }));
  return (
    <figure className="card chart">
      <figcaption>
        {summary.totals.failures.toLocaleString()} of {summary.totals.total.toLocaleString()} sign-ins failed in the
        last 7 days ·{" "}
        <Link to={`${tenantPath(tenantId, "sign-ins")}?range=7d&status=failure`}>see the failures</Link>
      </figcaption>
      <ResponsiveContainer width="100%" height={200}>
        <BarChart data={days}>
          <CartesianGrid strokeDasharray="3 3" stroke="var(--border)" />
          <XAxis dataKey="day" tick={axis} />
          <YAxis allowDecimals={false} tick={axis} />
          <Tooltip contentStyle={{ background: "var(--surface)", border: "1px solid var(--border)" }} />
          <Legend />
          <Bar dataKey="failed" stackId="s" fill="var(--danger)" isAnimationActive={false} />
          <Bar dataKey="succeeded" stackId="s" fill="var(--ok)" isAnimationActive={false} />
        </BarChart>
      </ResponsiveContainer>
    </figure>
  );
}
