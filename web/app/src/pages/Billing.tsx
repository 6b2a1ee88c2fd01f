// Billing.tsx — the tenant's plan, its usage against the plan's limits (bars), and for the
// owner the way to change plan (the provider's checkout, for plans on offer) or manage payment
// (its portal).
// Everyone else sees the same page read-only: what the tenant pays is the owner's business.
import { useState } from "react";
import { api, asProblem, call, type ApiProblem } from "../api/client";
import { atLeast, type Meter, type Plan, type Subscription } from "../api/types";
import { useAuth } from "../auth/context";
import { useTitle } from "../router";
import { ErrorState, Loading, PageHeader, ProblemAlert, When } from "../ui/kit";
import { useLoad } from "../ui/useLoad";
import { useSubmit } from "../ui/useSubmit";

const METER_LABELS: Record<string, string> = {
  seats: "Members",
  documents: "Documents",
  storage_bytes: "Storage",
  jobs: "Processing jobs this period",
};

function meterLabel(meter: string): string {
  if (meter.startsWith("runs.")) return `Runs of ${meter.slice(5)} this period`;
  return METER_LABELS[meter] ?? meter;
}

function amount(meter: string, n: number): string {
  if (meter !== "storage_bytes") return n.toLocaleString("en");
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let v = n;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return `${v.toLocaleString("en", { maximumFractionDigits: 1 })} ${units[u]}`;
}

function UsageBar({ m }: { m: Meter }) {
  const id = `meter-${m.meter.replace(/\W/g, "-")}`;
  const limit = m.limit ?? null;
  const share = limit && limit > 0 ? Math.min(1, m.used / limit) : 0;
  const level = share >= 1 ? "full" : share >= 0.8 ? "high" : "ok";
  return (
    <li className="meter">
      <div className="meter-head">
        <span id={id}>{meterLabel(m.meter)}</span>
        <span className="muted">
          {amount(m.meter, m.used)} {limit === null ? "(unlimited)" : `of ${amount(m.meter, limit)}`}
        </span>
      </div>
      {limit !== null && (
        <div
          className={`bar bar-${level}`}
          role="progressbar"
          aria-labelledby={id}
          aria-valuemin={0}
          aria-valuemax={limit}
          aria-valuenow={Math.min(m.used, limit)}
        >
          <span style={{ width: `${Math.round(share * 100)}%` }} />
        </div>
      )}
    </li>
  );
}

function Usage() {
  const [loaded, reload] = useLoad(async () => (await call(api.GET("/api/v1/tenants/current/usage"))).data, []);
  return (
    <section className="card" aria-labelledby="usage-h">
      <h2 id="usage-h">Usage</h2>
      {loaded.state === "loading" && <Loading label="Loading usage…" />}
      {loaded.state === "error" && <ErrorState problem={loaded.problem} onRetry={reload} />}
      {loaded.state === "ok" && (
        <ul className="meters">
          {loaded.data.map((m) => (
            <UsageBar key={m.meter} m={m} />
          ))}
        </ul>
      )}
    </section>
  );
}

function Plans({ current, owner }: { current: Subscription; owner: boolean }) {
  const [loaded, reload] = useLoad(async () => (await call(api.GET("/api/v1/billing/plans"))).data, []);
  const [problem, setProblem] = useState<ApiProblem | null>(null);
  const [busy, setBusy] = useState<string | null>(null);
  const upgrade = async (plan: Plan) => {
    setProblem(null);
    setBusy(plan.name);
    try {
      const r = await call(api.POST("/api/v1/billing/checkout", { body: { plan: plan.name } }));
      window.location.assign(r.data.url);
    } catch (e) {
      setProblem(asProblem(e));
      setBusy(null);
    }
  };
  return (
    <section className="card" aria-labelledby="plans-h">
      <h2 id="plans-h">Plans</h2>
      <ProblemAlert problem={problem} />
      {loaded.state === "loading" && <Loading label="Loading plans…" />}
      {loaded.state === "error" && <ErrorState problem={loaded.problem} onRetry={reload} />}
      {loaded.state === "ok" && (
        <ul className="plans">
          {loaded.data.map((p) => (
            <li key={p.name} className={p.name === current.plan ? "plan plan-current" : "plan"}>
              <h3>{p.title}</h3>
              <p className="muted small">Features: {p.features.join(", ")}</p>
              <p className="muted small">
                {p.limits.documents === null ? "Unlimited" : p.limits.documents.toLocaleString("en")} documents,{" "}
                {p.limits.seats === null ? "unlimited" : p.limits.seats} members
              </p>
              {p.name === current.plan ? (
                <p className="badge">{p.offered ? "Current plan" : "Current plan (no longer offered)"}</p>
              ) : (
                // Only plans on offer can be bought; a plan kept for its tenants is listed to them only.
                owner &&
                p.purchasable &&
                p.offered && (
                  <button type="button" className="btn btn-primary" disabled={busy !== null} onClick={() => void upgrade(p)}>
                    {busy === p.name ? "Opening checkout…" : `Switch to ${p.title}`}
                  </button>
                )
              )}
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}

export function BillingPage() {
  useTitle("Billing");
  const { me } = useAuth();
  const owner = atLeast(me?.role, "owner");
  const [loaded, reload] = useLoad(async () => (await call(api.GET("/api/v1/tenants/current/subscription"))).data, []);
  const opening = useSubmit();
  const portal = () =>
    opening.run(async () => {
      const r = await call(api.POST("/api/v1/billing/portal"));
      window.location.assign(r.data.url);
    });
  return (
    <>
      <PageHeader title="Billing" />
      {loaded.state === "loading" && <Loading label="Loading the subscription…" />}
      {loaded.state === "error" && <ErrorState problem={loaded.problem} onRetry={reload} />}
      {loaded.state === "ok" && (
        <>
          <section className="card" aria-labelledby="sub-h">
            <h2 id="sub-h">
              {loaded.data.plan_title} plan <span className="badge">{loaded.data.status.replace("_", " ")}</span>
            </h2>
            <p className="muted">
              Current period ends <When at={loaded.data.current_period_end} />.{" "}
              {!owner && "Only the tenant's owner can change the plan."}
            </p>
            <ProblemAlert problem={opening.problem} />
            {owner && loaded.data.has_customer && (
              <button type="button" className="btn" onClick={() => void portal()}>
                Manage payment and invoices
              </button>
            )}
          </section>
          <Usage />
          <Plans current={loaded.data} owner={owner} />
        </>
      )}
    </>
  );
}
