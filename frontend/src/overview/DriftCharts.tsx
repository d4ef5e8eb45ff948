// Drift by severity and by source for each period, and per day over 30 days.
import { Bar, BarChart, CartesianGrid, Legend, ResponsiveContainer, Tooltip, XAxis, YAxis } from "recharts";
import { severityRows, sourceRows, SEVERITIES, SOURCES, SOURCE_LABELS, type DriftSummary, type PeriodKey } from "./periods";

const SEVERITY_COLOURS: Record<(typeof SEVERITIES)[number], string> = {
  critical: "var(--sev-critical)",
  high: "var(--sev-high)",
  medium: "var(--sev-medium)",
  low: "var(--sev-low)",
  info: "var(--sev-info)",
  unrated: "var(--border)",
};
const SOURCE_COLOURS = ["var(--accent)", "var(--sev-medium)", "var(--ok)"];

const axis = { stroke: "var(--muted)", fontSize: 12 };

export function DriftCharts({ summaries }: { summaries: Partial<Record<PeriodKey, DriftSummary>> }) {
  const days = summaries["30d"]?.by_day ?? [];
  return (
    <div className="charts">
      <figure className="card chart">
        <figcaption>By severity</figcaption>
        <ResponsiveContainer width="100%" height={220}>
          <BarChart data={severityRows(summaries)} layout="vertical" margin={{ left: 24 }}>
            <CartesianGrid strokeDasharray="3 3" stroke="var(--border)" />
            <XAxis type="number" allowDecimals={false} tick={axis} />
            <YAxis type="category" dataKey="period" width={100} tick={axis} />
            <Tooltip contentStyle={{ background: "var(--surface)", border: "1px solid var(--border)" }} />
            <Legend />
            {SEVERITIES.map((severity) => (
              <Bar key={severity} dataKey={severity} stackId="s" fill={SEVERITY_COLOURS[severity]} isAnimationActive={false} />
            ))}
          </BarChart>
        </ResponsiveContainer>
      </figure>
      <figure className="card chart">
        <figcaption>By source</figcaption>
        <ResponsiveContainer width="100%" height={220}>
          <BarChart data={sourceRows(summaries)} layout="vertical" margin={{ left: 24 }}>
            <CartesianGrid strokeDasharray="3 3" stroke="var(--border)" />
            <XAxis type="number" allowDecimals={false} tick={axis} />
            <YAxis type="category" dataKey="period" width={100} tick={axis} />
            <Tooltip contentStyle={{ background: "var(--surface)", border: "1px solid var(--border)" }} />
            <Legend />
            {SOURCES.map((source, i) => (
              <Bar key={source} dataKey={source} name={SOURCE_LABELS[source]} stackId="s" fill={SOURCE_COLOURS[i]} isAnimationActive={false} />
            ))}
          </BarChart>
        </ResponsiveContainer>
      </figure>
      <figure className="card chart chart-wide">
        <figcaption>Changes per day, last 30 days</figcaption>
        <ResponsiveContainer width="100%" height={200}>
          <BarChart data={days}>
            <CartesianGrid strokeDasharray="3 3" stroke="var(--border)" />
            <XAxis dataKey="date" tick={axis} minTickGap={16} />
            <YAxis allowDecimals={false} tick={axis} />
            <Tooltip contentStyle={{ background: "var(--surface)", border: "1px solid var(--border)" }} />
            <Bar dataKey="count" name="changes" fill="var(--accent)" isAnimationActive={false} />
          </BarChart>
        </ResponsiveContainer>
      </figure>
    </div>
  );
}
