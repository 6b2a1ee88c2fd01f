// Audit.tsx — the tenant's audit log (admins), newest first, keyset "load more".
import { useEffect, useState } from "react";
import { api, asProblem, call, type ApiProblem } from "../api/client";
import { atLeast, type AuditEntry } from "../api/types";
import { useAuth } from "../auth/context";
import { useTitle } from "../router";
import { Alert, Empty, ErrorState, Loading, PageHeader, When } from "../ui/kit";

export function AuditPage() {
  useTitle("Audit log");
  const { role, session } = useAuth();
  const [items, setItems] = useState<AuditEntry[]>([]);
  const [cursor, setCursor] = useState<string | null>(null);
  const [state, setState] = useState<"loading" | "ok" | "more" | "error">("loading");
  const [problem, setProblem] = useState<ApiProblem | null>(null);
  const [attempt, setAttempt] = useState(0);
  const allowed = atLeast(role, "admin");

  const page = (after: string | null) =>
    call(api.GET("/api/v1/tenants/current/audit", { params: { query: { limit: 50, ...(after ? { cursor: after } : {}) } } }));

  useEffect(() => {
    if (!allowed) return;
    let live = true;
    setState("loading");
    page(null).then(
      (r) => {
        if (!live) return;
        setItems(r.data);
        setCursor(r.next_cursor ?? null);
        setState("ok");
      },
      (e) => {
        if (!live) return;
        setProblem(asProblem(e));
        setState("error");
      },
    );
    return () => {
      live = false;
    };
  }, [attempt, allowed, session?.tenantId]);

  const more = async () => {
    if (!cursor) return;
    setState("more");
    try {
      const r = await page(cursor);
      setItems((old) => [...old, ...r.data]);
      setCursor(r.next_cursor ?? null);
      setState("ok");
    } catch (e) {
      setProblem(asProblem(e));
      setState("error");
    }
  };

  if (!allowed) {
    return (
      <>
        <PageHeader title="Audit log" />
        <Alert kind="info">Only admins and owners can read the audit log.</Alert>
      </>
    );
  }
  return (
    <>
      <PageHeader title="Audit log" />
      {state === "loading" && <Loading label="Loading the audit log…" />}
      {state === "error" && problem && <ErrorState problem={problem} onRetry={() => setAttempt(attempt + 1)} />}
      {state !== "loading" && state !== "error" && items.length === 0 && (
        <Empty>
          <p>Nothing recorded yet.</p>
        </Empty>
      )}
      {items.length > 0 && state !== "loading" && (
        <div className="table-wrap">
          <table className="table">
            <caption className="visually-hidden">Audit log</caption>
            <thead>
              <tr>
                <th scope="col">When</th>
                <th scope="col">Action</th>
                <th scope="col">Target</th>
                <th scope="col">Actor</th>
                <th scope="col">Address</th>
              </tr>
            </thead>
            <tbody>
              {items.map((a) => (
                <tr key={a.id}>
                  <td>
                    <When at={a.created_at} />
                  </td>
                  <td>
                    <code>{a.action}</code>
                  </td>
                  <td className="mono small">{a.target ?? "—"}</td>
                  <td className="mono small">{a.actor_id ? a.actor_id.slice(0, 8) : "—"}</td>
                  <td className="mono small">{a.ip ?? "—"}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {cursor && state === "ok" && (
        <div className="load-more">
          <button type="button" className="btn" onClick={() => void more()}>
            Load more
          </button>
        </div>
      )}
    </>
  );
}
