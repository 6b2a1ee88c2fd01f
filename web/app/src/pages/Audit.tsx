// Audit.tsx — the tenant's audit log (admins), newest first, keyset "load more".
import { api, call } from "../api/client";
import { atLeast } from "../api/types";
import { useAuth } from "../auth/context";
import { useTitle } from "../router";
import { WhenCell } from "../ui/DataTable";
import { Alert, PageHeader } from "../ui/kit";
import { PagedTable } from "../ui/PagedList";
import { cursorParam, usePaged } from "../ui/usePaged";

export function AuditPage() {
  useTitle("Audit log");
  const { role } = useAuth();
  return (
    <>
      <PageHeader title="Audit log" />
      {atLeast(role, "admin") ? <AuditLog /> : <Alert kind="info">Only admins and owners can read the audit log.</Alert>}
    </>
  );
}

function AuditLog() {
  const { session } = useAuth();
  const entries = usePaged(
    (after: string | null) =>
      call(api.GET("/api/v1/tenants/current/audit", { params: { query: { limit: 50, ...cursorParam(after) } } })),
    [session?.tenantId],
  );
  return (
    <PagedTable
      list={entries}
      loading="Loading the audit log…"
      empty={<p>Nothing recorded yet.</p>}
      caption="Audit log"
      columns={["When", "Action", "Target", "Actor", "Address"]}
      row={(a) => (
        <tr key={a.id}>
          <WhenCell at={a.created_at} />
          <td>
            <code>{a.action}</code>
          </td>
          <td className="mono small">{a.target ?? "—"}</td>
          <td className="mono small">{a.actor_id ? a.actor_id.slice(0, 8) : "—"}</td>
          <td className="mono small">{a.ip ?? "—"}</td>
        </tr>
      )}
    />
  );
}
