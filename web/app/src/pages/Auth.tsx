// Auth.tsx — sign up and log in (and the card the account pages share). The API's per-field `details` appear under their fields;
// the lockout (429 too_many_attempts) says how long to wait.
import { useState, type ButtonHTMLAttributes, type ReactNode } from "react";
import { call, publicApi, type ApiProblem } from "../api/client";
import { adopt } from "../auth/session";
import { Link, navigate, useLocation, useTitle } from "../router";
import { Alert, TextField } from "../ui/kit";
import { useSubmit } from "../ui/useSubmit";

export function AuthCard({ title, children }: { title: string; children: ReactNode }) {
  return (
    <main id="main" className="auth-page">
      <div className="auth-card">
        <div className="brand brand-large" aria-hidden="true">
          <span className="brand-mark" /> Menhir
        </div>
        <h1>{title}</h1>
        {children}
      </div>
    </main>
  );
}

/** The card's main button (a submit unless TYPE says otherwise); busy, it says BUSYLABEL and
 * takes no second click. */
export function CardButton({ busy, busyLabel, children, ...button }: { busy: boolean; busyLabel: string } & ButtonHTMLAttributes<HTMLButtonElement>) {
  return (
    <button type="submit" className="btn btn-primary btn-block" disabled={busy} {...button}>
      {busy ? busyLabel : children}
    </button>
  );
}

function afterSignIn(next: string | null) {
  navigate(next && next.startsWith("/") && !next.startsWith("//") ? next : "/documents", { replace: true });
}

function lockoutText(p: ApiProblem): string {
  const wait = p.retryAfter ? ` Try again in ${Math.ceil(p.retryAfter / 60)} minute${p.retryAfter > 60 ? "s" : ""}.` : "";
  return `Too many failed attempts: logging in is locked for now.${wait}`;
}

export function LoginPage() {
  useTitle("Log in");
  const { query } = useLocation();
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  const [tenant, setTenant] = useState("");
  const form = useSubmit();
  const submit = form.submit(async () => {
    const r = await call(
      publicApi.POST("/api/v1/auth/login", {
        body: { email, password, ...(tenant.trim() ? { tenant: tenant.trim() } : {}) },
      }),
    );
    adopt(r.data);
    afterSignIn(query.get("next"));
  });

  const { problem, fields: f, busy } = form;
  return (
    <AuthCard title="Log in">
      {problem &&
        (problem.status === 429 ? (
          <Alert>{lockoutText(problem)}</Alert>
        ) : problem.status === 401 ? (
          <Alert>Wrong e-mail or password.</Alert>
        ) : form.general ? (
          <Alert>{form.general.message}</Alert>
        ) : null)}
      <form onSubmit={submit} noValidate>
        <TextField label="E-mail" type="email" name="email" autoComplete="username" required value={email} onChange={(e) => setEmail(e.target.value)} error={f.email} />
        <TextField label="Password" type="password" name="password" autoComplete="current-password" required value={password} onChange={(e) => setPassword(e.target.value)} error={f.password} />
        <TextField label="Tenant (optional)" name="tenant" hint="A tenant's slug or id; by default the one you chose last." value={tenant} onChange={(e) => setTenant(e.target.value)} error={f.tenant} />
        <CardButton busy={busy} busyLabel="Logging in…">
          Log in
        </CardButton>
      </form>
      <p className="auth-switch">
        <Link to="/forgot-password">Forgot your password?</Link>
      </p>
      <p className="auth-switch">
        New here? <Link to="/signup">Create an account</Link>
      </p>
    </AuthCard>
  );
}

/** Signing up with an address that has an account: say so under the e-mail field. */
function takenEmail(p: ApiProblem): ApiProblem {
  if (p.code === "email_taken") p.fields.email = p.fields.email ?? "An account with this e-mail already exists.";
  return p;
}

export function SignupPage() {
  useTitle("Sign up");
  const [form, setForm] = useState({ name: "", email: "", password: "", tenant_name: "" });
  const signup = useSubmit(takenEmail);
  const set = (k: keyof typeof form) => (e: React.ChangeEvent<HTMLInputElement>) => setForm({ ...form, [k]: e.target.value });

  const submit = signup.submit(async () => {
    const r = await call(
      publicApi.POST("/api/v1/auth/signup", {
        body: {
          email: form.email,
          password: form.password,
          tenant_name: form.tenant_name,
          ...(form.name.trim() ? { name: form.name.trim() } : {}),
        },
      }),
    );
    adopt(r.data);
    afterSignIn(null);
  });

  const { problem, fields: f, busy } = signup;
  return (
    <AuthCard title="Create your account">
      {signup.general && <Alert>{signup.general.message}</Alert>}
      {problem && !signup.general && <Alert>Please correct the fields marked below.</Alert>}
      <form onSubmit={submit} noValidate>
        <TextField label="Your name" name="name" autoComplete="name" value={form.name} onChange={set("name")} error={f.name} />
        <TextField label="E-mail" type="email" name="email" autoComplete="username" required value={form.email} onChange={set("email")} error={f.email} />
        <TextField label="Password" type="password" name="password" autoComplete="new-password" required hint="At least 12 characters." value={form.password} onChange={set("password")} error={f.password} />
        <TextField label="Organisation name" name="tenant_name" autoComplete="organization" required hint="Your tenant; you will be its owner." value={form.tenant_name} onChange={set("tenant_name")} error={f.tenant_name} />
        <CardButton busy={busy} busyLabel="Creating…">
          Create account
        </CardButton>
      </form>
      <p className="auth-switch">
        Already have an account? <Link to="/login">Log in</Link>
      </p>
    </AuthCard>
  );
}
