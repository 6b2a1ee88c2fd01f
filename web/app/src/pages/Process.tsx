// Process.tsx — run one of the tenant's enabled features on a document, follow the job live
// over its event stream, and show the result (stats, keywords, summary, redaction).
import { useEffect, useId, useRef, useState, type FormEvent } from "react";
import { api, asProblem, call, problem as toProblem, type ApiProblem } from "../api/client";
import { watchJob } from "../api/events";
import { atLeast, type Document, type Feature, type Job } from "../api/types";
import { useAuth } from "../auth/context";
import { Link } from "../router";
import { Badge, Loading, ProblemAlert } from "../ui/kit";

type Params = { k: string; sentences: string };

function JobResult({ job, onRewritten }: { job: Job; onRewritten: () => void }) {
  const result = (job.result ?? {}) as Record<string, unknown>;
  const feature = String(result.feature ?? "");
  const body = (result[feature] ?? {}) as Record<string, unknown>;
  if (job.status !== "succeeded") {
    return job.error ? <p className="muted">Error: {job.error}</p> : null;
  }
  if (feature === "stats") {
    const rows: [string, string][] = [
      ["Words", "words"],
      ["Characters", "characters"],
      ["Characters without spaces", "characters_no_spaces"],
      ["Sentences", "sentences"],
      ["Paragraphs", "paragraphs"],
      ["Bytes", "bytes"],
      ["Reading time (s)", "reading_time_seconds"],
    ];
    return (
      <table className="kv">
        <caption className="visually-hidden">Statistics</caption>
        <tbody>
          {rows.map(([label, key]) => (
            <tr key={key}>
              <th scope="row">{label}</th>
              <td>{String(body[key] ?? "—")}</td>
            </tr>
          ))}
        </tbody>
      </table>
    );
  }
  if (feature === "keywords") {
    const kws = (body.keywords ?? []) as { term: string; count: number }[];
    return (
      <>
        <p className="muted">{String(body.distinct_terms ?? 0)} distinct terms</p>
        <ol className="keywords">
          {kws.map((k) => (
            <li key={k.term}>
              <span>{k.term}</span> <span className="muted">×{k.count}</span>
            </li>
          ))}
        </ol>
      </>
    );
  }
  if (feature === "summary") {
    return <blockquote className="summary">{String(body.summary ?? "") || "Nothing to summarise."}</blockquote>;
  }
  if (feature === "redact") {
    const counts = (body.counts ?? {}) as Record<string, number>;
    return (
      <>
        <p>
          {body.changed ? "Redacted: " : "Nothing to redact. "}
          {Object.entries(counts)
            .map(([k, v]) => `${v} ${k}`)
            .join(", ")}
        </p>
        {Boolean(body.changed) && job.document_id && (
          <p>
            <Link to={`/documents/${job.document_id}`} onClick={onRewritten}>
              View the redacted version (version {String(result.version ?? "")})
            </Link>
          </p>
        )}
      </>
    );
  }
  return <pre className="json">{JSON.stringify(job.result, null, 2)}</pre>;
}

export function ProcessPanel({ doc, canRewrite, onRewritten }: { doc: Document; canRewrite: boolean; onRewritten: () => void }) {
  const { role } = useAuth();
  const id = useId();
  const [features, setFeatures] = useState<Feature[] | null>(null);
  const [loadProblem, setLoadProblem] = useState<ApiProblem | null>(null);
  const [feature, setFeature] = useState("");
  const [params, setParams] = useState<Params>({ k: "10", sentences: "3" });
  const [problem, setProblem] = useState<ApiProblem | null>(null);
  const [job, setJob] = useState<Job | null>(null);
  const [stream, setStream] = useState<"connecting" | "live" | "retrying" | null>(null);
  const abort = useRef<AbortController | null>(null);

  useEffect(() => {
    call(api.GET("/api/v1/tenants/current/features")).then(
      (r) => {
        setFeatures(r.data);
        const first = r.data.find((f) => f.enabled && (!f.rewrites_document || canRewrite));
        setFeature((old) => old || first?.name || "");
      },
      (e) => setLoadProblem(asProblem(e)),
    );
  }, [canRewrite]);
  useEffect(() => () => abort.current?.abort(), []);

  if (!atLeast(role, "member")) return null;

  const usable = (features ?? []).filter((f) => f.enabled && (!f.rewrites_document || canRewrite));

  const follow = (jobId: string, initial: Job | null) => {
    abort.current?.abort();
    const ctl = new AbortController();
    abort.current = ctl;
    if (initial) setJob(initial);
    void watchJob(jobId, { signal: ctl.signal, onJob: setJob, onState: setStream }).then((final) => {
      if (!ctl.signal.aborted) setStream(null);
      if (final?.status === "succeeded" && (final.result as { feature?: string } | null)?.feature === "redact") onRewritten();
    });
  };

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setProblem(null);
    setJob(null);
    const parameters: Record<string, number> = {};
    if (feature === "keywords") parameters.k = Number(params.k);
    if (feature === "summary") parameters.sentences = Number(params.sentences);
    const r = await api
      .POST("/api/v1/documents/{id}/process", {
        params: { path: { id: doc.id } },
        headers: { "Idempotency-Key": crypto.randomUUID() },
        // The contract types `parameters` as a free-form object, which openapi-typescript
        // renders as an object of undefined values: the cast is for that only.
        body: { feature: feature as Feature["name"], ...(Object.keys(parameters).length ? { parameters: parameters as never } : {}) },
      })
      .catch((err: unknown) => ({ data: undefined, error: asProblem(err), response: undefined }));
    if (r.response?.status === 202 && r.data) {
      follow(r.data.data.job_id, (r.data.data as { job?: Job }).job ?? null);
      return;
    }
    if (r.response?.status === 409) {
      // The same work is already queued or running: follow that job instead.
      const loc = r.response.headers.get("Location") ?? "";
      const active = loc.split("/").pop();
      if (active) {
        follow(active, null);
        return;
      }
    }
    setProblem(r.response ? toProblem(r.error, r.response) : (r.error as ApiProblem));
  };

  const fields = problem?.fields ?? {};
  return (
    <section className="card panel" aria-labelledby={`${id}-h`}>
      <h2 id={`${id}-h`}>Process</h2>
      {!features && !loadProblem && <Loading label="Loading features…" />}
      <ProblemAlert problem={loadProblem} />
      {features && usable.length === 0 && (
        <p className="muted">
          No feature is enabled for this tenant{atLeast(role, "admin") ? "" : " (an admin can switch them on)"}.{" "}
          {atLeast(role, "admin") && <Link to="/settings">Enable features in Settings</Link>}
        </p>
      )}
      {usable.length > 0 && (
        <form onSubmit={submit} noValidate className="process-form">
          <div className="field">
            <label htmlFor={`${id}-feature`}>Feature</label>
            <select id={`${id}-feature`} value={feature} onChange={(e) => setFeature(e.target.value)}>
              {usable.map((f) => (
                <option key={f.name} value={f.name}>
                  {f.name}
                </option>
              ))}
            </select>
          </div>
          {feature === "keywords" && (
            <div className="field">
              <label htmlFor={`${id}-k`}>Keywords (1–50)</label>
              <input id={`${id}-k`} type="number" min={1} max={50} value={params.k} onChange={(e) => setParams({ ...params, k: e.target.value })} aria-invalid={fields["parameters.k"] ? true : undefined} />
              {fields["parameters.k"] && <p className="field-error">{fields["parameters.k"]}</p>}
            </div>
          )}
          {feature === "summary" && (
            <div className="field">
              <label htmlFor={`${id}-s`}>Sentences (1–20)</label>
              <input id={`${id}-s`} type="number" min={1} max={20} value={params.sentences} onChange={(e) => setParams({ ...params, sentences: e.target.value })} aria-invalid={fields["parameters.sentences"] ? true : undefined} />
              {fields["parameters.sentences"] && <p className="field-error">{fields["parameters.sentences"]}</p>}
            </div>
          )}
          <button type="submit" className="btn btn-primary" disabled={stream !== null}>
            Run
          </button>
        </form>
      )}
      {problem && Object.keys(fields).length === 0 && <ProblemAlert problem={problem} />}
      {job && (
        <div className="job-live">
          <p aria-live="polite" className="job-status">
            Job <Badge value={job.status} />
            {stream === "live" && <span className="live-dot">live</span>}
            {stream === "retrying" && <span className="muted"> reconnecting…</span>}
          </p>
          <JobResult job={job} onRewritten={onRewritten} />
        </div>
      )}
    </section>
  );
}
