// Sessions.tsx — your signed-in sessions in every tenant (device and network), each
// revocable: its tokens stop working at once. Ending the current one logs you out here.
import { useState } from "react";
import { api, asProblem, call, type ApiProblem } from "../api/client";
import type { UserSession } from "../api/types";
import { signedOut } from "../auth/session";
import { navigate } from "../router";
import { Alert, ErrorState, Loading, ProblemAlert, When } from "../ui/kit";
import { useLoad } from "../ui/useLoad";

export function SessionsList() {
  const [loaded, reload, set] = useLoad(async () => (await call(api.GET("/api/v1/auth/sessions"))).data, []);
  const [problem, setProblem] = useState<ApiProblem | null>(null);
  const [notice, setNotice] = useState<string | null>(null);

  const revoke = async (s: UserSession) => {
    setProblem(null);
    setNotice(null);
    try {
      await call(api.DELETE("/api/v1/auth/sessions/{id}", { params: { path: { id: s.id } } }));
      if (s.current) {
        signedOut();
        navigate("/login", { replace: true });
        return;
      }
      if (loaded.state === "ok") set(loaded.data.filter((x) => x.id !== s.id));
      setNotice("The session was ended; its tokens no longer work.");
    } catch (e) {
      setProblem(asProblem(e));
    }
  };

  if (loaded.state === "loading") return <Loading label="Loading your sessions…" />;
  if (loaded.state === "error") return <ErrorState problem={loaded.problem} onRetry={reload} />;
  return (
    <>
      {notice && <Alert kind="success">{notice}</Alert>}
      <ProblemAlert problem={problem} />
      <div className="table-wrap">
        <table className="table sessions">
          <caption className="visually-hidden">Your sessions</caption>
          <thead>
            <tr>
              <th scope="col">Device</th>
              <th scope="col">Network</th>
              <th scope="col">Tenant</th>
              <th scope="col">Started</th>
              <th scope="col">Last used</th>
              <th scope="col">
                <span className="visually-hidden">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {loaded.data.map((s) => (
              <tr key={s.id} data-session={s.id}>
                <td>
                  <div>{s.user_agent || "Unknown client"}</div>
                  {s.current && <span className="muted small">(this session)</span>}
                </td>
                <td>{s.ip_network ?? "—"}</td>
                <td>{s.tenant_name}</td>
                <td>
                  <When at={s.created_at} />
                </td>
                <td>
                  <When at={s.last_used_at} />
                </td>
                <td className="actions">
                  <button type="button" className="btn btn-small btn-ghost" onClick={() => void revoke(s)}>
                    {s.current ? "Log out" : "Revoke"}
                    <span className="visually-hidden"> session started {s.created_at}</span>
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </>
  );
}
