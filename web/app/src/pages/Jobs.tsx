// Jobs.tsx — the tenant's jobs, newest first, with a status filter; cancel (a queued job:
// its creator or an admin) and retry (a failed or dead job: admins).
import { useEffect, useState } from "react";
import { api, asProblem, call, myUserId, type ApiProblem } from "../api/client";
import { atLeast, JOB_STATUSES, type Job, type JobStatus } from "../api/types";
import { useAuth } from "../auth/context";
import { Link, useTitle } from "../router";
import { Badge, Empty, ErrorState, Loading, PageHeader, ProblemAlert, When } from "../ui/kit";

export function JobsPage() {
  useTitle("Jobs");
  const { role, session } = useAuth();
  const [status, setStatus] = useState<"" | JobStatus>("");
  const [items, setItems] = useState<Job[]>([]);
  const [cursor, setCursor] = useState<string | null>(null);
  const [state, setState] = useState<"loading" | "ok" | "more" | "error">("loading");
  const [problem, setProblem] = useState<ApiProblem | null>(null);
  const [actionProblem, setActionProblem] = useState<ApiProblem | null>(null);
  const [attempt, setAttempt] = useState(0);

  const page = (after: string | null) =>
    call(api.GET("/api/v1/jobs", { params: { query: { limit: 20, ...(status ? { status } : {}), ...(after ? { cursor: after } : {}) } } }));

  useEffect(() => {
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
  }, [status, attempt, session?.tenantId]);

  const more = async () => {
    if (!cursor) return;
    setState("more");
    try {
      const r = await page(cursor);
      setItems((old) => [...old, ...r.data]);
      setCursor(r.next_cursor ?? null);
      setState("ok");
    } catch (e) {
      setActionProblem(asProblem(e));
      setState("ok");
    }
  };

  const act = async (job: Job, action: "cancel" | "retry") => {
    setActionProblem(null);
    try {
      const r = await call(
        action === "cancel"
          ? api.POST("/api/v1/jobs/{id}/cancel", { params: { path: { id: job.id } } })
          : api.POST("/api/v1/jobs/{id}/retry", { params: { path: { id: job.id } } }),
      );
      setItems((old) => old.map((j) => (j.id === job.id ? r.data : j)));
    } catch (e) {
      setActionProblem(asProblem(e));
    }
  };

  const me = myUserId();
  return (
    <>
      <PageHeader title="Jobs">
        <div className="field field-inline">
          <label htmlFor="job-status">Status</label>
          <select id="job-status" value={status} onChange={(e) => setStatus(e.target.value as "" | JobStatus)}>
            <option value="">Any</option>
            {JOB_STATUSES.map((s) => (
              <option key={s} value={s}>
                {s}
              </option>
            ))}
          </select>
        </div>
        <button type="button" className="btn" onClick={() => setAttempt(attempt + 1)}>
          Refresh
        </button>
      </PageHeader>
      <ProblemAlert problem={actionProblem} />
      {state === "loading" && <Loading label="Loading jobs…" />}
      {state === "error" && problem && <ErrorState problem={problem} onRetry={() => setAttempt(attempt + 1)} />}
      {(state === "ok" || state === "more") && items.length === 0 && (
        <Empty>
          <p>{status ? `No ${status} job.` : "No jobs yet. Process a document to start one."}</p>
        </Empty>
      )}
      {items.length > 0 && state !== "loading" && (
        <div className="table-wrap">
          <table className="table">
            <caption className="visually-hidden">Jobs</caption>
            <thead>
              <tr>
                <th scope="col">Kind</th>
                <th scope="col">Status</th>
                <th scope="col">Document</th>
                <th scope="col">Attempts</th>
                <th scope="col">Created</th>
                <th scope="col">
                  <span className="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {items.map((j) => {
                const feature = (j.result as { feature?: string } | null)?.feature;
                const canCancel = j.status === "queued" && (atLeast(role, "admin") || (atLeast(role, "member") && j.created_by === me));
                const canRetry = (j.status === "failed" || j.status === "dead") && atLeast(role, "admin");
                return (
                  <tr key={j.id}>
                    <td>
                      {j.kind}
                      {feature ? <span className="muted"> · {feature}</span> : null}
                      {j.error && <div className="muted small">{j.error}</div>}
                    </td>
                    <td>
                      <Badge value={j.status} />
                    </td>
                    <td>{j.document_id ? <Link to={`/documents/${j.document_id}`}>Open</Link> : "—"}</td>
                    <td>
                      {j.attempts}/{j.max_attempts}
                    </td>
                    <td>
                      <When at={j.created_at} />
                    </td>
                    <td className="actions">
                      {canCancel && (
                        <button type="button" className="btn btn-small" onClick={() => void act(j, "cancel")}>
                          Cancel
                        </button>
                      )}
                      {canRetry && (
                        <button type="button" className="btn btn-small" onClick={() => void act(j, "retry")}>
                          Retry
                        </button>
                      )}
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      )}
      {cursor && (state === "ok" || state === "more") && (
        <div className="load-more">
          <button type="button" className="btn" onClick={() => void more()} disabled={state === "more"}>
            {state === "more" ? "Loading…" : "Load more"}
          </button>
        </div>
      )}
    </>
  );
}
