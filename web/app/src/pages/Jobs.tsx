// Jobs.tsx — the tenant's jobs, newest first, with a status filter; cancel (a queued job:
// its creator or an admin) and retry (a failed or dead job: admins).
import { useState } from "react";
import { api, call, myUserId } from "../api/client";
import { atLeast, JOB_STATUSES, type Job, type JobStatus } from "../api/types";
import { useAuth } from "../auth/context";
import { Link, useTitle } from "../router";
import { WhenCell } from "../ui/DataTable";
import { AnyOrOneOf, Badge, PageHeader, ProblemAlert } from "../ui/kit";
import { PagedTable } from "../ui/PagedList";
import { cursorParam, usePaged } from "../ui/usePaged";
import { useSubmit } from "../ui/useSubmit";

export function JobsPage() {
  useTitle("Jobs");
  const { role, session } = useAuth();
  const [status, setStatus] = useState<"" | JobStatus>("");
  const jobs = usePaged(
    (after: string | null) =>
      call(api.GET("/api/v1/jobs", { params: { query: { limit: 20, ...(status ? { status } : {}), ...cursorParam(after) } } })),
    [status, session?.tenantId],
  );
  const actions = useSubmit();

  const act = (job: Job, action: "cancel" | "retry") =>
    actions.run(async () => {
      const r = await call(
        action === "cancel"
          ? api.POST("/api/v1/jobs/{id}/cancel", { params: { path: { id: job.id } } })
          : api.POST("/api/v1/jobs/{id}/retry", { params: { path: { id: job.id } } }),
      );
      jobs.setItems((old) => old.map((j) => (j.id === job.id ? r.data : j)));
    });

  const me = myUserId();
  return (
    <>
      <PageHeader title="Jobs">
        <div className="field field-inline">
          <label htmlFor="job-status">Status</label>
          <select id="job-status" value={status} onChange={(e) => setStatus(e.target.value as "" | JobStatus)}>
            <AnyOrOneOf values={JOB_STATUSES} />
          </select>
        </div>
        <button type="button" className="btn" onClick={jobs.reload}>
          Refresh
        </button>
      </PageHeader>
      <ProblemAlert problem={actions.problem} />
      <PagedTable
        list={jobs}
        loading="Loading jobs…"
        empty={<p>{status ? `No ${status} job.` : "No jobs yet. Process a document to start one."}</p>}
        caption="Jobs"
        columns={["Kind", "Status", "Document", "Attempts", "Created"]}
        actions
        row={(j) => {
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
              <WhenCell at={j.created_at} />
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
        }}
      />
    </>
  );
}
