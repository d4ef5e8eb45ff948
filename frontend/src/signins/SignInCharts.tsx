// The sign-in charts: volume over time (success vs failure) and failures by error code,
// sign-ins by country and by application. Each chart also has its numbers as a table, for
// screen readers and for reading exact values.
import type { ReactNode } from "react";
import { Bar, BarChart, CartesianGrid, Legend, ResponsiveContainer, Tooltip, XAxis, YAxis } from "recharts";
import { formatCount } from "../ui/format";
import type { Breakdown, Bucket, SignInSummary, VolumePoint } from "./summary";

const axis = { stroke: "var(--muted)", fontSize: 12 };
const tooltip = { background: "var(--surface)", border: "1px solid var(--border)", color: "var(--text)" };

const hourLabel = new Intl.DateTimeFormat(undefined, { month: "short", day: "numeric", hour: "2-digit", minute: "2-digit" });
const dayLabel = new Intl.DateTimeFormat(undefined, { month: "short", day: "numeric" });

export function bucketLabel(bucket: string, size: Bucket): string {
  const date = new Date(bucket);
  if (Number.isNaN(date.getTime())) return bucket;
  return (size === "day" ? dayLabel : hourLabel).format(date);
}

function ChartCard({ title, wide, table, children }: { title: string; wide?: boolean; table: ReactNode; children: ReactNode }) {
  return (
    <figure className={wide ? "card chart chart-wide" : "card chart"}>
      <figcaption>{title}</figcaption>
      <div aria-hidden="true">{children}</div>
      <details className="chart-table">
        <summary>Show as table</summary>
        {table}
      </details>
    </figure>
  );
}

export function VolumeChart({ points, bucket }: { points: VolumePoint[]; bucket: Bucket }) {
  const data = points.map((p) => ({ ...p, label: bucketLabel(p.bucket, bucket) }));
  return (
    <ChartCard
      title={`Sign-ins per ${bucket}`}
      wide
      table={
        <table>
          <thead>
            <tr>
              <th scope="col">{bucket === "day" ? "Day" : "Hour"}</th>
              <th scope="col">Succeeded</th>
              <th scope="col">Failed</th>
            </tr>
          </thead>
          <tbody>
            {data.map((p) => (
              <tr key={p.bucket}>
                <td>{p.label}</td>
                <td>{formatCount(p.success)}</td>
                <td>{formatCount(p.failure)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      }
    >
      {data.length === 0 ? (
        <p className="muted">No sign-ins in this period.</p>
      ) : (
        <ResponsiveContainer width="100%" height={220}>
          <BarChart data={data}>
            <CartesianGrid strokeDasharray="3 3" stroke="var(--border)" />
            <XAxis dataKey="label" tick={axis} minTickGap={24} />
            <YAxis allowDecimals={false} tick={axis} />
            <Tooltip contentStyle={tooltip} />
            <Legend />
            <Bar dataKey="success" name="Succeeded" stackId="v" fill="var(--ok)" isAnimationActive={false} />
            <Bar dataKey="failure" name="Failed" stackId="v" fill="var(--danger)" isAnimationActive={false} />
          </BarChart>
        </ResponsiveContainer>
      )}
    </ChartCard>
  );
}

/** A top-N breakdown as horizontal bars, "other" last; `onPick` makes each key a filter. */
export function BreakdownChart({
  title,
  data,
  keyLabel,
  colour = "var(--accent)",
  empty,
  onPick,
}: {
  title: string;
  data: Breakdown;
  keyLabel: string;
  colour?: string;
  empty: string;
  onPick?: (key: string) => void;
}) {
  const rows = data.other > 0 ? [...data.top, { key: "Other", count: data.other }] : data.top;
  return (
    <ChartCard
      title={title}
      table={
        <table>
          <thead>
            <tr>
              <th scope="col">{keyLabel}</th>
              <th scope="col">Sign-ins</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((row) => (
              <tr key={row.key}>
                <td>
                  {onPick && row.key !== "Other" ? (
                    <button type="button" className="link-button" onClick={() => onPick(row.key)}>
                      {row.key}
                    </button>
                  ) : (
                    row.key
                  )}
                </td>
                <td>{formatCount(row.count)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      }
    >
      {rows.length === 0 ? (
        <p className="muted">{empty}</p>
      ) : (
        <ResponsiveContainer width="100%" height={Math.max(120, rows.length * 26 + 40)}>
          <BarChart data={rows} layout="vertical" margin={{ left: 8, right: 16 }}>
            <CartesianGrid strokeDasharray="3 3" stroke="var(--border)" />
            <XAxis type="number" allowDecimals={false} tick={axis} />
            <YAxis type="category" dataKey="key" width={140} tick={axis} />
            <Tooltip contentStyle={tooltip} />
            <Bar dataKey="count" name="Sign-ins" fill={colour} isAnimationActive={false} />
          </BarChart>
        </ResponsiveContainer>
      )}
    </ChartCard>
  );
}

export function SignInCharts({
  summary,
  bucket,
  onPickErrorCode,
  onPickCountry,
  onPickApplication,
}: {
  summary: SignInSummary;
  bucket: Bucket;
  onPickErrorCode?: (code: string) => void;
  onPickCountry?: (country: string) => void;
  onPickApplication?: (app: string) => void;
}) {
  const { totals } = summary;
  return (
    <section aria-label="Sign-in charts">
      {summary.pageOnly && (
        <p className="notice" role="note">
          Charts show this page only: this server cannot summarise the whole period yet.
        </p>
      )}
      <p className="signin-totals">
        <strong>{formatCount(totals.total)}</strong> sign-ins · <span className="status-ok">{formatCount(totals.successes)} succeeded</span>{" "}
        · <span className="status-failing">{formatCount(totals.failures)} failed</span>
      </p>
      <div className="charts">
        <VolumeChart points={summary.overTime} bucket={bucket} />
        <BreakdownChart
          title="Failures by error code"
          keyLabel="Error code"
          data={summary.failuresByErrorCode}
          colour="var(--danger)"
          empty="No failed sign-ins."
          onPick={onPickErrorCode}
        />
        <BreakdownChart
          title="Sign-ins by country"
          keyLabel="Country"
          data={summary.byCountry}
          empty={summary.pageOnly ? "This server does not report countries yet." : "No sign-ins with a country."}
          onPick={onPickCountry}
        />
        <BreakdownChart
          title="Sign-ins by application"
          keyLabel="Application"
          data={summary.byApplication}
          empty="No sign-ins."
          onPick={onPickApplication}
        />
      </div>
    </section>
  );
}
