// One resource: what it is, its current document, and its history as a timeline from which
// any two versions can be compared.
import { useState } from "react";
import { Link, useParams } from "react-router-dom";
import { tenantPath, useTenantId } from "../tenant/useTenantId";
import { formatDateTime, formatRelative } from "../ui/format";
import { JsonView } from "../ui/JsonView";
import { Pager, useCursorPaging } from "../ui/Pager";
import { ChangeTypeBadge } from "../ui/ChangeTypeBadge";
import { SeverityBadge } from "../ui/SeverityBadge";
import { Empty, ErrorPanel, Loading } from "../ui/states";
import {
  SOURCE_LABELS,
  changedPathsOf,
  diffPath,
  parseId,
  pathLabel,
  useConfiguration,
  useConfigurationHistory,
  type Configuration,
  type HistorySummary,
} from "./queries";

export function ConfigurationPage() {
  const tenantId = useTenantId();
  const id = parseId(useParams().configurationId);
  if (id === null) return <Empty title="This resource does not exist">The address has no valid resource id.</Empty>;
  return <Resource tenantId={tenantId} id={id} />;
}

function Resource({ tenantId, id }: { tenantId: number; id: number }) {
  const configuration = useConfiguration(tenantId, id);
  if (configuration.isPending) return <Loading what="Loading the resource" />;
  if (configuration.isError) return <ErrorPanel error={configuration.error} retry={() => void configuration.refetch()} />;
  const c = configuration.data;
  return (
    <article aria-labelledby="resource-title">
      <p className="muted">
        <Link to={tenantPath(tenantId, "configurations")}>Configurations</Link> › {c.resource_name}
      </p>
      <h1 id="resource-title">{c.resource_name || c.resource_id}</h1>
      {c.deleted_at && (
        <p className="notice" role="note">
          This resource was deleted in Azure on {formatDateTime(c.deleted_at)}. Below is its last known state.
        </p>
      )}
      <Facts c={c} />
      <h2>Current state</h2>
      <JsonView key={c.content_hash} value={c.config_data} label={`Current document of ${c.resource_name}`} />
      <h2 id="history-title">History</h2>
      <Timeline tenantId={tenantId} id={id} />
    </article>
  );
}

function Facts({ c }: { c: Configuration }) {
  return (
    <dl className="facts">
      <dt>Type</dt>
      <dd className="mono">{c.resource_type}</dd>
      <dt>Source</dt>
      <dd>{SOURCE_LABELS[c.source]}</dd>
      <dt>Resource id</dt>
      <dd className="mono">{c.resource_id}</dd>
      <dt>Stored id</dt>
      <dd>{c.id}</dd>
      <dt>Last updated</dt>
      <dd>
        {formatDateTime(c.last_updated)} ({formatRelative(c.last_updated)})
      </dd>
      <dt>State</dt>
      <dd>{c.deleted_at ? `Deleted ${formatDateTime(c.deleted_at)}` : "Present"}</dd>
    </dl>
  );
}

const PATHS_SHOWN = 8;

function Timeline({ tenantId, id }: { tenantId: number; id: number }) {
  const paging = useCursorPaging();
  const history = useConfigurationHistory(tenantId, id, paging.cursor);
  // Up to two entries picked for comparison, kept with their time so the older one is `from`.
  const [picked, setPicked] = useState<HistorySummary[]>([]);

  if (history.isPending) return <Loading what="Loading the history" />;
  if (history.isError) return <ErrorPanel error={history.error} retry={() => void history.refetch()} />;
  const items = history.data.items;

  const toggle = (entry: HistorySummary) =>
    setPicked((current) =>
      current.some((p) => p.id === entry.id)
        ? current.filter((p) => p.id !== entry.id)
        : [...current, entry].slice(-2),
    );
  const [older, newer] = [...picked].sort((a, b) => a.changed_at.localeCompare(b.changed_at) || a.id - b.id);

  return (
    <>
      <div className="toolbar" aria-live="polite">
        {picked.length === 2 && older && newer ? (
          <Link className="button-link" to={diffPath(tenantId, id, newer.id, older.id)}>
            Compare version #{older.id} with #{newer.id}
          </Link>
        ) : (
          <span className="muted">
            {items.length === 0 ? "" : `Tick two versions to compare them (${picked.length} of 2 ticked), or compare a change with the version before it.`}
          </span>
        )}
      </div>
      {items.length === 0 ? (
        <Empty title="No recorded changes">
          The resource has not changed since it was first stored (the baseline is not a change).
        </Empty>
      ) : (
        <ol className={`timeline${history.isPlaceholderData ? " busy" : ""}`} aria-labelledby="history-title">
          {items.map((entry) => {
            const paths = changedPathsOf(entry);
            const checked = picked.some((p) => p.id === entry.id);
            return (
              <li key={entry.id}>
                <div className="timeline-head">
                  <time dateTime={entry.changed_at}>{formatDateTime(entry.changed_at)}</time>
                  <ChangeTypeBadge type={entry.change_type} />
                  <SeverityBadge severity={entry.severity} />
                  <span>by {entry.changed_by === "unknown" ? <em>unknown</em> : entry.changed_by}</span>
                  <span className="topbar-spacer" />
                  <label>
                    <input type="checkbox" checked={checked} onChange={() => toggle(entry)} />
                    Version #{entry.id}
                  </label>
                  <Link to={diffPath(tenantId, id, entry.id)}>
                    {entry.change_type === "created" ? "Show the new state" : "Compare with previous"}
                  </Link>
                </div>
                {entry.change_type === "updated" && paths.length > 0 && (
                  <ul className="paths" aria-label={`Changed paths of version ${entry.id}`}>
                    {paths.slice(0, PATHS_SHOWN).map((p) => (
                      <li key={p}>{pathLabel(p)}</li>
                    ))}
                    {paths.length > PATHS_SHOWN && <li>and {paths.length - PATHS_SHOWN} more</li>}
                  </ul>
                )}
              </li>
            );
          })}
        </ol>
      )}
      <Pager
        paging={paging}
        count={items.length}
        nextCursor={history.data.next_cursor}
        limit={50}
        busy={history.isPlaceholderData}
        noun={items.length === 1 ? "change" : "changes"}
      />
    </>
  );
}
