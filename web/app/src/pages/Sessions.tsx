// Sessions.tsx — your signed-in sessions in every tenant (device and network), each
// revocable: its tokens stop working at once. Ending the current one logs you out here.
import { api, call } from "../api/client";
import type { UserSession } from "../api/types";
import { signedOut } from "../auth/session";
import { navigate } from "../router";
import { DataTable, RowAction, WhenCell } from "../ui/DataTable";
import { Alert, ErrorState, Loading, ProblemAlert } from "../ui/kit";
import { useLoad } from "../ui/useLoad";
import { useSubmit } from "../ui/useSubmit";

export function SessionsList() {
  const [loaded, reload, set] = useLoad(async () => (await call(api.GET("/api/v1/auth/sessions"))).data, []);
  const actions = useSubmit();

  const revoke = (s: UserSession) =>
    actions.run(async () => {
      await call(api.DELETE("/api/v1/auth/sessions/{id}", { params: { path: { id: s.id } } }));
      if (s.current) {
        signedOut();
        navigate("/login", { replace: true });
        return;
      }
      if (loaded.state === "ok") set(loaded.data.filter((x) => x.id !== s.id));
      return "The session was ended; its tokens no longer work.";
    });

  if (loaded.state === "loading") return <Loading label="Loading your sessions…" />;
  if (loaded.state === "error") return <ErrorState problem={loaded.problem} onRetry={reload} />;
  return (
    <>
      {actions.notice && <Alert kind="success">{actions.notice}</Alert>}
      <ProblemAlert problem={actions.problem} />
      <DataTable caption="Your sessions" className="sessions" columns={["Device", "Network", "Tenant", "Started", "Last used"]} actions>
        {loaded.data.map((s) => (
          <tr key={s.id} data-session={s.id}>
            <td>
              <div>{s.user_agent || "Unknown client"}</div>
              {s.current && <span className="muted small">(this session)</span>}
            </td>
            <td>{s.ip_network ?? "—"}</td>
            <td>{s.tenant_name}</td>
            <WhenCell at={s.created_at} />
            <WhenCell at={s.last_used_at} />
            <td className="actions">
              <RowAction label={s.current ? "Log out" : "Revoke"} of={`session started ${s.created_at}`} onClick={() => void revoke(s)} />
            </td>
          </tr>
        ))}
      </DataTable>
    </>
  );
}
