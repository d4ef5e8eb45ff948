// The saved versions of the settings, newest first; each can be viewed and compared with the
// version in force.
import { useState } from "react";
import { useQuery } from "@tanstack/react-query";
import { api, unwrap } from "../api/client";
import { Dialog } from "../ui/Dialog";
import { Empty, ErrorPanel, Loading } from "../ui/states";
import { formatDateTime, formatRelative } from "../ui/format";
import { diffDocuments } from "./diff";
import type { Settings } from "./model";

/** The document without what identifies the version. */
function content(s: Settings) {
  return { notification_settings: s.notification_settings, polling_settings: s.polling_settings, drift_thresholds: s.drift_thresholds };
}

export function SettingsHistory({ tenantId, current }: { tenantId: number; current: Settings | undefined }) {
  const [cursor, setCursor] = useState<string | undefined>();
  const [previous, setPrevious] = useState<(string | undefined)[]>([]);
  const [open, setOpen] = useState<Settings | null>(null);
  const history = useQuery({
    queryKey: ["settings", tenantId, "history", cursor],
    queryFn: async () =>
      unwrap(await api.GET("/api/v1/tenants/{tenant_id}/settings/history", { params: { path: { tenant_id: tenantId }, query: { limit: 50, cursor } } })),
  });

  if (history.isPending) return <Loading what="Loading the history of the settings" />;
  if (history.isError) return <ErrorPanel error={history.error} retry={() => void history.refetch()} />;
  if (history.data.items.length === 0) return <Empty title="No saved settings yet">The defaults are in force until the first save.</Empty>;

  return (
    <section aria-labelledby="sec-history">
      <h2 id="sec-history">History of changes</h2>
      <p className="muted">Every save is kept as a version. The server does not record who saved a version.</p>
      <div className="table-wrap">
        <table>
          <thead>
            <tr>
              <th scope="col">Version</th>
              <th scope="col">Saved</th>
              <th scope="col">By</th>
              <th scope="col">Changes from the one in force</th>
              <th scope="col">
                <span className="visually-hidden">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {history.data.items.map((version) => {
              const inForce = current?.id === version.id;
              const changes = current ? diffDocuments(content(version), content(current)).length : 0;
              return (
                <tr key={version.id ?? "defaults"}>
                  <td>
                    #{version.id} {inForce && <span className="badge status-ok">In force</span>}
                  </td>
                  <td title={formatDateTime(version.last_updated)}>{formatRelative(version.last_updated)}</td>
                  <td>{version.saved_by ?? <span className="muted">not recorded</span>}</td>
                  <td>{inForce ? "—" : changes === 1 ? "1 value" : `${changes} values`}</td>
                  <td>
                    <button type="button" onClick={() => setOpen(version)}>
                      View version #{version.id}
                    </button>
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      </div>
      <nav className="pager" aria-label="Pages">
        <button
          type="button"
          disabled={previous.length === 0}
          onClick={() => {
            setCursor(previous[previous.length - 1]);
            setPrevious(previous.slice(0, -1));
          }}
        >
          ← Newer
        </button>
        <button
          type="button"
          disabled={!history.data.next_cursor}
          onClick={() => {
            setPrevious([...previous, cursor]);
            setCursor(history.data.next_cursor ?? undefined);
          }}
        >
          Older →
        </button>
      </nav>
      {open && <VersionDialog version={open} current={current} onClose={() => setOpen(null)} />}
    </section>
  );
}

function VersionDialog({ version, current, onClose }: { version: Settings; current: Settings | undefined; onClose(): void }) {
  const changes = current && current.id !== version.id ? diffDocuments(content(version), content(current)) : [];
  return (
    <Dialog title={`Settings version #${version.id}`} variant="panel" onClose={onClose}>
      <p>
        Saved {formatDateTime(version.last_updated)}
        {version.saved_by ? ` by ${version.saved_by}` : ""}.
      </p>
      {current && current.id !== version.id && (
        <>
          <h3>Compared with the version in force (#{current.id})</h3>
          {changes.length === 0 ? (
            <p className="muted">The same values as the version in force.</p>
          ) : (
            <div className="table-wrap">
              <table>
                <thead>
                  <tr>
                    <th scope="col">Path</th>
                    <th scope="col">This version</th>
                    <th scope="col">In force</th>
                  </tr>
                </thead>
                <tbody>
                  {changes.map((c) => (
                    <tr key={c.path}>
                      <td className="mono wrap">{c.path}</td>
                      <td className="mono wrap diff-line removed">{c.before ?? "—"}</td>
                      <td className="mono wrap diff-line added">{c.after ?? "—"}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )}
        </>
      )}
      <h3>The whole version</h3>
      <pre className="json" tabIndex={0}>
        {JSON.stringify(content(version), null, 2)}
      </pre>
    </Dialog>
  );
}
