// Side-by-side diff of two versions of a configuration: `?from=<history id>&to=<history id>`
// (either may be `current`; without `from`, the API compares `to` with the version before it).
// The alignment and highlighting are computed in `diffModel.ts`; this file only draws them.
import { useCallback, useEffect, useMemo, useRef } from "react";
import { Link, useParams } from "react-router-dom";
import { tenantPath, useTenantId } from "../tenant/useTenantId";
import { formatDateTime } from "../ui/format";
import { Empty, ErrorPanel, Loading } from "../ui/states";
import { stringParam, useQueryState } from "../ui/useQueryState";
import { ChangeTypeBadge } from "../ui/ChangeTypeBadge";
import { SeverityBadge } from "../ui/SeverityBadge";
import { alignDocuments, changedRows, describeOperation, diffStats, volatileRule, type DiffRow } from "./diffModel";
import {
  parseId,
  pathLabel,
  useConfiguration,
  useHistoryEntry,
  useVersionDiff,
  type VersionDiff,
} from "./queries";

const PARAMS = { from: stringParam(), to: stringParam(), only: stringParam() };

export function DiffPage() {
  const tenantId = useTenantId();
  const id = parseId(useParams().configurationId);
  if (id === null) return <Empty title="This resource does not exist">The address has no valid resource id.</Empty>;
  return <Diff tenantId={tenantId} id={id} />;
}

function Diff({ tenantId, id }: { tenantId: number; id: number }) {
  const [params, setParams] = useQueryState(PARAMS);
  const configuration = useConfiguration(tenantId, id);
  const diff = useVersionDiff(tenantId, id, params.from || undefined, params.to || undefined);
  const toHistoryId = diff.data?.to.history_id ?? undefined;
  const change = useHistoryEntry(tenantId, toHistoryId);
  const changedOnly = params.only === "1";
  const resourcePath = tenantPath(tenantId, `configurations/${id}`);

  return (
    <section aria-labelledby="diff-title">
      <p className="muted">
        <Link to={tenantPath(tenantId, "configurations")}>Configurations</Link> ›{" "}
        <Link to={resourcePath}>{configuration.data?.resource_name ?? `Resource ${id}`}</Link> › Compare versions
      </p>
      <h1 id="diff-title">Compare versions{configuration.data ? ` of ${configuration.data.resource_name}` : ""}</h1>
      {diff.isPending ? (
        <Loading what="Loading the two versions" />
      ) : diff.isError ? (
        <ErrorPanel error={diff.error} retry={() => void diff.refetch()} />
      ) : (
        <>
          {change.data && (
            <p className="feed-meta">
              <ChangeTypeBadge type={change.data.change_type} />
              <SeverityBadge severity={change.data.severity} />
              <span>by {change.data.changed_by}</span>
              <span>{formatDateTime(change.data.changed_at)}</span>
            </p>
          )}
          <DiffBody
            diff={diff.data}
            changedOnly={changedOnly}
            onChangedOnly={(on) => setParams({ only: on ? "1" : "" }, { replace: true })}
          />
        </>
      )}
    </section>
  );
}

function versionLabel(version: VersionDiff["from"]): string {
  if (version.current) return `Current state (${formatDateTime(version.at)})`;
  if (version.history_id == null) return version.document == null ? "Did not exist" : "Baseline (as first stored)";
  return `Version #${version.history_id} (${formatDateTime(version.at)})`;
}

export function DiffBody({
  diff,
  changedOnly,
  onChangedOnly,
}: {
  diff: VersionDiff;
  changedOnly: boolean;
  onChangedOnly(on: boolean): void;
}) {
  // A missing document (before `created`, after `deleted`) is shown as an empty side.
  const rows = useMemo(
    () => alignDocuments(diff.from.document ?? undefined, diff.to.document ?? undefined, volatileRule(diff)),
    [diff],
  );
  const stats = useMemo(() => diffStats(rows), [rows]);
  const shown = changedOnly ? changedRows(rows) : rows;
  const from = versionLabel(diff.from);
  const to = versionLabel(diff.to);

  return (
    <>
      <p>
        <strong>From</strong> {from} <strong>to</strong> {to}:{" "}
        {diff.changed_paths.length === 0
          ? "no differences."
          : `${diff.changed_paths.length} changed ${diff.changed_paths.length === 1 ? "path" : "paths"} (${stats.changed} lines changed, ${stats.added} added, ${stats.removed} removed).`}
      </p>
      {stats.volatileOnly && (
        <p className="notice">Only volatile fields (timestamps, versions, entity tags) differ: this is not drift.</p>
      )}
      <div className="toolbar diff-toolbar">
        <label className="check">
          <input type="checkbox" checked={changedOnly} onChange={(e) => onChangedOnly(e.target.checked)} />
          Changed lines only
        </label>
        <span className="diff-legend" aria-hidden="true">
          <span className="diff-line added">added</span>
          <span className="diff-line removed">removed</span>
          <span className="diff-line changed">changed</span>
          <span className="diff-line volatile">volatile (dimmed)</span>
        </span>
      </div>
      {rows.length === 0 ? (
        <Empty title="Neither version has a document" />
      ) : shown.length === 0 ? (
        <Empty title="The two versions are the same" />
      ) : (
        <DiffTable rows={shown} from={from} to={to} withPaths={changedOnly} />
      )}
      <h2>Changed paths</h2>
      {diff.changed_paths.length === 0 ? (
        <p className="muted">None.</p>
      ) : (
        <ul className="paths" aria-label="Changed paths">
          {diff.changed_paths.map((path) => (
            <li key={path}>{pathLabel(path)}</li>
          ))}
        </ul>
      )}
      <h2>JSON Patch (RFC 6902)</h2>
      {diff.patch.length === 0 ? (
        <p className="muted">No operations: the documents are equal.</p>
      ) : (
        <ol className="patch" aria-label="JSON Patch operations">
          {diff.patch.map((op, i) => (
            <li key={i}>
              <span className={`patch-op op-${op.op}`}>{op.op}</span> {describeOperation(op).slice(op.op.length + 1)}
            </li>
          ))}
        </ol>
      )}
    </>
  );
}

const KIND_WORDS: Record<DiffRow["kind"], string> = { same: "", added: "added", removed: "removed", changed: "changed" };

/** The rows where a run of differing lines starts (what "next change" jumps between). */
export function changeStarts(rows: readonly DiffRow[]): number[] {
  const starts: number[] = [];
  rows.forEach((row, i) => {
    if (row.kind !== "same" && (i === 0 || rows[i - 1]!.kind === "same")) starts.push(i);
  });
  return starts;
}

function DiffTable({ rows, from, to, withPaths }: { rows: DiffRow[]; from: string; to: string; withPaths: boolean }) {
  const view = useRef<HTMLDivElement>(null);
  const current = useRef(-1);
  const starts = useMemo(() => changeStarts(rows), [rows]);

  /** Scrolls the view (not the page) so that the `n`th change is near its top. */
  const show = useCallback(
    (n: number) => {
      const container = view.current;
      const index = starts[n];
      if (!container || index === undefined) return;
      current.current = n;
      const row = container.querySelector<HTMLElement>(`[data-row="${index}"]`);
      const head = container.querySelector<HTMLElement>(".diff-head");
      if (row) container.scrollTop = Math.max(0, row.offsetTop - (head?.offsetHeight ?? 0) - 48);
    },
    [starts],
  );
  // Open at the first change: in a long document it may be far below the fold.
  useEffect(() => {
    if (!withPaths) show(0);
  }, [show, withPaths]);

  let lastPath: string | null = null;
  return (
    <>
    {starts.length > 1 && !withPaths && (
      <div className="toolbar">
        <button type="button" onClick={() => show(Math.max(0, current.current - 1))}>↑ Previous change</button>
        <button type="button" onClick={() => show(Math.min(starts.length - 1, current.current + 1))}>↓ Next change</button>
        <span className="muted">{starts.length} changed places</span>
      </div>
    )}
    <div className="diff-view" role="region" aria-label="Side-by-side comparison" tabIndex={0} ref={view}>
      <div className="diff-head">
        <div>Before: {from}</div>
        <div>After: {to}</div>
      </div>
      {rows.map((row, i) => {
        const pathHeader = withPaths && row.path !== lastPath ? row.path : null;
        lastPath = row.path;
        const classes = `diff-line ${row.kind === "same" ? "" : row.kind}${row.volatile ? " volatile" : ""}`;
        const word = KIND_WORDS[row.kind] + (row.volatile && row.kind !== "same" ? ", volatile" : "");
        return (
          <div key={i} className={`diff-row ${row.kind}`} data-path={row.path} data-kind={row.kind} data-row={i}>
            {pathHeader !== null && <div className="diff-path">{pathLabel(pathHeader)}</div>}
            <span className="diff-num">{row.left?.number ?? ""}</span>
            <span className={`${classes} diff-left${row.left ? "" : " empty"}`} data-path={row.path}>
              {word && row.left && <span className="visually-hidden">{`${word}: `}</span>}
              {row.left?.text ?? ""}
            </span>
            <span className="diff-num diff-right-num">{row.right?.number ?? ""}</span>
            <span className={`${classes} diff-right${row.right ? "" : " empty"}`} data-path={row.path}>
              {word && row.right && <span className="visually-hidden">{`${word}: `}</span>}
              {row.right?.text ?? ""}
            </span>
          </div>
        );
      })}
    </div>
    </>
  );
}
