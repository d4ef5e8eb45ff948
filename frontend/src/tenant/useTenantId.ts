import { useParams } from "react-router-dom";

/** The tenant of the current screen, from the `/t/:tenantId/…` URL. */
export function useTenantId(): number {
  const { tenantId } = useParams();
  const id = Number(tenantId);
  if (!Number.isSafeInteger(id) || id <= 0) throw new Error(`not a tenant id: ${tenantId}`);
  return id;
}

/** The path of a screen of a tenant. */
export function tenantPath(tenantId: number, screen: string): string {
  return `/t/${tenantId}/${screen.replace(/^\//, "")}`;
}
