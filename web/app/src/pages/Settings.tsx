// Settings.tsx — the tenant: name and slug, feature switches, and the webhook signing secret
// (shown once, when it is made). Viewers and members see the settings read-only.
import { useState } from "react";
import { api, asProblem, call, type ApiProblem } from "../api/client";
import { atLeast, type Feature, type Tenant, type WebhookSecret } from "../api/types";
import { useAuth } from "../auth/context";
import { useTitle } from "../router";
import { Alert, ErrorState, Loading, PageHeader, ProblemAlert, TextField, When } from "../ui/kit";
import { useLoad } from "../ui/useLoad";
import { useSubmit } from "../ui/useSubmit";

/** A slug another tenant has: say so under the slug field. */
function takenSlug(p: ApiProblem): ApiProblem {
  if (p.status === 409) p.fields.slug = "This slug is taken.";
  return p;
}

function TenantForm({ tenant, editable, onSaved }: { tenant: Tenant; editable: boolean; onSaved: (t: Tenant) => void }) {
  const [name, setName] = useState(tenant.name);
  const [slug, setSlug] = useState(tenant.slug);
  const form = useSubmit(takenSlug);
  const submit = form.submit(async () => {
    const body: { name?: string; slug?: string } = {};
    if (name !== tenant.name) body.name = name;
    if (slug !== tenant.slug) body.slug = slug;
    const r = await call(api.PATCH("/api/v1/tenants/current", { body }));
    onSaved(r.data);
    return "Saved.";
  });
  const f = form.fields;
  return (
    <form className="card" onSubmit={submit} noValidate aria-labelledby="tenant-form-h">
      <h2 id="tenant-form-h">Name and slug</h2>
      {form.notice && <Alert kind="success">{form.notice}</Alert>}
      <ProblemAlert problem={form.general} />
      <div className="form-row">
        <TextField label="Name" name="tenant-name" readOnly={!editable} value={name} onChange={(e) => setName(e.target.value)} error={f.name} />
        <TextField label="Slug" name="tenant-slug" readOnly={!editable} hint="Used to pick this tenant at login." value={slug} onChange={(e) => setSlug(e.target.value)} error={f.slug} />
      </div>
      {editable && (
        <div className="form-actions">
          <button type="submit" className="btn btn-primary" disabled={name === tenant.name && slug === tenant.slug}>
            Save
          </button>
        </div>
      )}
    </form>
  );
}

function Features({ editable }: { editable: boolean }) {
  const [loaded, reload, set] = useLoad(async () => (await call(api.GET("/api/v1/tenants/current/features"))).data, []);
  const [problem, setProblem] = useState<ApiProblem | null>(null);
  const toggle = async (f: Feature, enabled: boolean) => {
    if (loaded.state !== "ok") return;
    const before = loaded.data;
    setProblem(null);
    // Show the switch moved at once; put it back if the server refuses.
    set(before.map((x) => (x.name === f.name ? { ...x, enabled } : x)));
    try {
      const r = await call(api.PUT("/api/v1/tenants/current/features/{feature}", { params: { path: { feature: f.name } }, body: { enabled } }));
      set(before.map((x) => (x.name === f.name ? r.data : x)));
    } catch (e) {
      set(before);
      setProblem(asProblem(e));
    }
  };
  return (
    <section className="card" aria-labelledby="features-h">
      <h2 id="features-h">Processing features</h2>
      <ProblemAlert problem={problem} />
      {loaded.state === "loading" && <Loading label="Loading features…" />}
      {loaded.state === "error" && <ErrorState problem={loaded.problem} onRetry={reload} />}
      {loaded.state === "ok" && (
        <ul className="switches">
          {loaded.data.map((f) => (
            <li key={f.name}>
              <input id={`feature-${f.name}`} type="checkbox" role="switch" checked={f.enabled} disabled={!editable || !f.in_plan} onChange={(e) => void toggle(f, e.target.checked)} aria-describedby={`feature-${f.name}-d`} />
              <label htmlFor={`feature-${f.name}`}>{f.name}</label>
              <p id={`feature-${f.name}-d`} className="muted small">
                {f.description}
                {f.rewrites_document ? " (rewrites the document)" : ""}
                {f.in_plan ? "" : " Not in your plan: see Billing."}
              </p>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}

function WebhookSecretPanel() {
  const [loaded, reload] = useLoad(async () => (await call(api.GET("/api/v1/tenants/current/webhook-secret"))).data, []);
  const [secret, setSecret] = useState<WebhookSecret | null>(null);
  const making = useSubmit();
  const rotate = () =>
    making.run(async () => {
      const r = await call(api.POST("/api/v1/tenants/current/webhook-secret"));
      setSecret(r.data);
      reload();
    });
  const info = loaded.state === "ok" ? loaded.data : null;
  return (
    <section className="card" aria-labelledby="webhook-h">
      <h2 id="webhook-h">Webhook signing secret</h2>
      <ProblemAlert problem={making.problem} />
      {loaded.state === "loading" && <Loading label="Loading…" />}
      {loaded.state === "error" && <ErrorState problem={loaded.problem} onRetry={reload} />}
      {info && (
        <p className="muted">
          {info.exists ? (
            <>
              A secret was made <When at={info.created_at} />. It cannot be shown again.
            </>
          ) : (
            "No secret yet: webhooks are not sent until there is one."
          )}
        </p>
      )}
      {secret && (
        <Alert kind="info">
          <p>Copy it now: this is the only time it is shown.</p>
          <code className="secret" aria-label="New webhook secret">
            {secret.secret}
          </code>
        </Alert>
      )}
      <button type="button" className="btn" onClick={() => void rotate()}>
        {info?.exists ? "Replace the secret" : "Make a secret"}
      </button>
    </section>
  );
}

export function SettingsPage() {
  useTitle("Settings");
  const { role, session, reloadMe } = useAuth();
  const admin = atLeast(role, "admin");
  const [loaded, reload, set] = useLoad(async () => (await call(api.GET("/api/v1/tenants/current"))).data, [session?.tenantId]);
  return (
    <>
      <PageHeader title="Settings" />
      {!admin && <Alert kind="info">Only admins and owners can change these settings.</Alert>}
      {loaded.state === "loading" && <Loading label="Loading the tenant…" />}
      {loaded.state === "error" && <ErrorState problem={loaded.problem} onRetry={reload} />}
      {loaded.state === "ok" && (
        <TenantForm
          key={loaded.data.updated_at}
          tenant={loaded.data}
          editable={admin}
          onSaved={(t) => {
            set(t);
            reloadMe();
          }}
        />
      )}
      <Features editable={admin} />
      {admin && <WebhookSecretPanel />}
    </>
  );
}
