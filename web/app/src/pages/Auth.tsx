// Auth.tsx — sign up and log in (and the card the account pages share). The API's per-field `details` appear under their fields;
// the lockout (429 too_many_attempts) says how long to wait.
import { useState, type FormEvent } from "react";
import { asProblem, call, publicApi, type ApiProblem } from "../api/client";
import { adopt } from "../auth/session";
import { Link, navigate, useLocation, useTitle } from "../router";
import { Alert, TextField } from "../ui/kit";

export function AuthCard({ title, children }: { title: string; children: React.ReactNode }) {
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
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState<ApiProblem | null>(null);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setProblem(null);
    try {
      const r = await call(
        publicApi.POST("/api/v1/auth/login", {
          body: { email, password, ...(tenant.trim() ? { tenant: tenant.trim() } : {}) },
        }),
      );
      adopt(r.data);
      afterSignIn(query.get("next"));
    } catch (err) {
      setProblem(asProblem(err));
      setBusy(false);
    }
  };

  const f = problem?.fields ?? {};
  return (
    <AuthCard title="Log in">
      {problem &&
        (problem.status === 429 ? (
          <Alert>{lockoutText(problem)}</Alert>
        ) : problem.status === 401 ? (
          <Alert>Wrong e-mail or password.</Alert>
        ) : Object.keys(f).length === 0 ? (
          <Alert>{problem.message}</Alert>
        ) : null)}
      <form onSubmit={submit} noValidate>
        <TextField label="E-mail" type="email" name="email" autoComplete="username" required value={email} onChange={(e) => setEmail(e.target.value)} error={f.email} />
        <TextField label="Password" type="password" name="password" autoComplete="current-password" required value={password} onChange={(e) => setPassword(e.target.value)} error={f.password} />
        <TextField label="Tenant (optional)" name="tenant" hint="A tenant's slug or id; by default the one you chose last." value={tenant} onChange={(e) => setTenant(e.target.value)} error={f.tenant} />
        <button type="submit" className="btn btn-primary btn-block" disabled={busy}>
          {busy ? "Logging in…" : "Log in"}
        </button>
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

export function SignupPage() {
  useTitle("Sign up");
  const [form, setForm] = useState({ name: "", email: "", password: "", tenant_name: "" });
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState<ApiProblem | null>(null);
  const set = (k: keyof typeof form) => (e: React.ChangeEvent<HTMLInputElement>) => setForm({ ...form, [k]: e.target.value });

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setProblem(null);
    try {
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
    } catch (err) {
      const p = asProblem(err);
      if (p.code === "email_taken") p.fields.email = p.fields.email ?? "An account with this e-mail already exists.";
      setProblem(p);
      setBusy(false);
    }
  };

  const f = problem?.fields ?? {};
  return (
    <AuthCard title="Create your account">
      {problem && Object.keys(f).length === 0 && <Alert>{problem.message}</Alert>}
      {problem && Object.keys(f).length > 0 && <Alert>Please correct the fields marked below.</Alert>}
      <form onSubmit={submit} noValidate>
        <TextField label="Your name" name="name" autoComplete="name" value={form.name} onChange={set("name")} error={f.name} />
        <TextField label="E-mail" type="email" name="email" autoComplete="username" required value={form.email} onChange={set("email")} error={f.email} />
        <TextField label="Password" type="password" name="password" autoComplete="new-password" required hint="At least 12 characters." value={form.password} onChange={set("password")} error={f.password} />
        <TextField label="Organisation name" name="tenant_name" autoComplete="organization" required hint="Your tenant; you will be its owner." value={form.tenant_name} onChange={set("tenant_name")} error={f.tenant_name} />
        <button type="submit" className="btn btn-primary btn-block" disabled={busy}>
          {busy ? "Creating…" : "Create account"}
        </button>
      </form>
      <p className="auth-switch">
        Already have an account? <Link to="/login">Log in</Link>
      </p>
    </AuthCard>
  );
}
