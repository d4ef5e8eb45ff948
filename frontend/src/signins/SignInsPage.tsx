// Sign-in logs: the tenant's Entra sign-ins, filtered (all filters in the URL), paged by
// cursor, with charts of the period and the full event in a side panel.
import { useQuery, keepPreviousData } from "@tanstack/react-query";
import { api, unwrap } from "../api/client";
import { useTenantId } from "../tenant/useTenantId";
import { useQueryState } from "../ui/useQueryState";
import { Pager, PAGER_RESET, useCursorPaging } from "../ui/Pager";
import { Empty, ErrorPanel, Loading } from "../ui/states";
import { formatDateTime } from "../ui/format";
import { bucketFor, listQuery, SIGNIN_FILTERS, type SignInFilterValues } from "./filters";
import { countryOf, fetchSignInSummary, listExtras, summariseRows, type SignInRow } from "./summary";
import { SignInCharts } from "./SignInCharts";
import { SignInFilters } from "./SignInFilters";
import { SignInDetail } from "./SignInDetail";
import { StatusBadge } from "./StatusBadge";

export function SignInsPage() {
  const tenantId = useTenantId();
  const [values, setValues] = useQueryState(SIGNIN_FILTERS);
  const paging = useCursorPaging();
  const query = listQuery(values);
  const bucket = bucketFor(query);

  const summary = useQuery({
    queryKey: ["signins", tenantId, "summary", query, bucket, values.country],
    queryFn: () => fetchSignInSummary(tenantId, { ...query, bucket, country: values.country || undefined }),
    retry: false,
    placeholderData: keepPreviousData,
  });
  // A server with the summary endpoint also filters the list by country.
  const serverSummarises = summary.isSuccess && summary.data !== null;
  const country = serverSummarises ? values.country : "";

  const list = useQuery({
    queryKey: ["signins", tenantId, "list", query, country, values.limit, paging.cursor],
    queryFn: async () =>
      unwrap(
        await api.GET("/api/v1/tenants/{tenant_id}/signing-logs", {
          params: {
            path: { tenant_id: tenantId },
            query: { ...query, ...listExtras({ country }), limit: values.limit, cursor: paging.cursor },
          },
        }),
      ),
    placeholderData: keepPreviousData,
  });

  const change = (patch: Partial<SignInFilterValues>) => setValues(patch, { drop: PAGER_RESET });
  const rows = list.data?.items ?? [];
  const chartData = serverSummarises ? summary.data : summary.isError || summary.data === null ? summariseRows(rows, bucket) : undefined;

  return (
    <div className="signins">
      <h1>Sign-in logs</h1>
      <SignInFilters values={values} showCountry={serverSummarises} onChange={change} />
      {chartData ? (
        <SignInCharts
          summary={chartData}
          bucket={bucket}
          onPickErrorCode={(code) => change({ status: `failure:${code}` })}
          onPickCountry={serverSummarises ? (c) => change({ country: c }) : undefined}
          onPickApplication={(app) => change({ app })}
        />
      ) : summary.isPending ? (
        <Loading what="Loading the charts" />
      ) : null}
      {summary.isError && (
        <p className="form-error" role="note">
          The charts could not be loaded from the server ({summary.error.message}); they show this page only.
        </p>
      )}
      <h2 className="visually-hidden">Events</h2>
      {list.isPending ? (
        <Loading what="Loading sign-ins" />
      ) : list.isError ? (
        <ErrorPanel error={list.error} retry={() => void list.refetch()} />
      ) : rows.length === 0 ? (
        <Empty title="No sign-ins match these filters">Widen the time range or clear a filter.</Empty>
      ) : (
        <>
          <SignInTable rows={rows} showCountry={serverSummarises} onOpen={(id) => setValues({ event: String(id) })} />
          <Pager
            paging={paging}
            count={rows.length}
            nextCursor={list.data?.next_cursor}
            limit={values.limit}
            onLimitChange={(limit) => change({ limit } as Partial<SignInFilterValues>)}
            busy={list.isFetching}
            noun="sign-ins"
          />
        </>
      )}
      {values.event && <SignInDetail tenantId={tenantId} id={Number(values.event)} onClose={() => setValues({ event: "" })} />}
    </div>
  );
}

function SignInTable({ rows, showCountry, onOpen }: { rows: SignInRow[]; showCountry: boolean; onOpen(id: number): void }) {
  return (
    <div className="table-wrap">
      <table className="signin-table">
        <thead>
          <tr>
            <th scope="col">Time</th>
            <th scope="col">User</th>
            <th scope="col">Application</th>
            <th scope="col">Status</th>
            <th scope="col">IP address</th>
            {showCountry && <th scope="col">Country</th>}
          </tr>
        </thead>
        <tbody>
          {rows.map((row) => (
            <tr key={row.id} className="clickable" onClick={() => onOpen(row.id)}>
              <td>
                <button type="button" className="link-button" onClick={(e) => (e.stopPropagation(), onOpen(row.id))}>
                  {formatDateTime(row.timestamp)}
                </button>
              </td>
              <td className="wrap">{row.actor ?? "—"}</td>
              <td>{row.action ?? "—"}</td>
              <td>
                <StatusBadge status={row.status} />
              </td>
              <td className="mono">{row.client_ip ?? "—"}</td>
              {showCountry && <td>{countryOf(row) ?? "—"}</td>}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
