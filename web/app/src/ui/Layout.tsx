// Layout.tsx — the signed-in frame: header with the tenant switcher, navigation (links the
// role cannot use are not shown), the user's menu, and the page.
import { useState, type ReactNode } from "react";
import { api, asProblem, call, type ApiProblem } from "../api/client";
import { atLeast } from "../api/types";
import { useAuth } from "../auth/context";
import { adopt, logout } from "../auth/session";
import { Link, navigate, useLocation } from "../router";
import { ProblemAlert } from "./kit";

const NAV: { to: string; label: string; min: "viewer" | "admin" }[] = [
  { to: "/documents", label: "Documents", min: "viewer" },
  { to: "/jobs", label: "Jobs", min: "viewer" },
  { to: "/members", label: "Members", min: "viewer" },
  { to: "/settings", label: "Settings", min: "viewer" },
  { to: "/billing", label: "Billing", min: "viewer" },
  { to: "/audit", label: "Audit log", min: "admin" },
  { to: "/api-keys", label: "API keys", min: "admin" },
];

function TenantSwitcher() {
  const { me, session } = useAuth();
  const [problem, setProblem] = useState<ApiProblem | null>(null);
  const [busy, setBusy] = useState(false);
  if (!me || !session) return null;
  const change = async (tenantId: string) => {
    setBusy(true);
    setProblem(null);
    try {
      const r = await call(api.POST("/api/v1/auth/switch-tenant", { body: { tenant_id: tenantId } }));
      adopt(r.data);
      navigate("/documents");
    } catch (e) {
      setProblem(asProblem(e));
    } finally {
      setBusy(false);
    }
  };
  return (
    <div className="tenant-switcher">
      <label htmlFor="tenant-switcher">Tenant</label>
      <select id="tenant-switcher" value={session.tenantId} disabled={busy || me.tenants.length < 2} onChange={(e) => void change(e.target.value)}>
        {me.tenants.map((t) => (
          <option key={t.id} value={t.id}>
            {t.name} ({t.role})
          </option>
        ))}
      </select>
      {problem && <ProblemAlert problem={problem} />}
    </div>
  );
}

export function Layout({ children }: { children: ReactNode }) {
  const { me, role } = useAuth();
  const { path } = useLocation();
  const [open, setOpen] = useState(false);
  const signOut = async () => {
    await logout();
    navigate("/login", { replace: true });
  };
  return (
    <div className="shell">
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <header className="topbar">
        <div className="topbar-row">
          <Link to="/documents" className="brand" aria-label="Menhir, documents">
            <span className="brand-mark" aria-hidden="true" /> Menhir
          </Link>
          <TenantSwitcher />
          <div
            className="user-menu"
            onKeyDown={(e) => {
              if (e.key === "Escape") setOpen(false);
            }}
          >
            <button type="button" className="btn btn-ghost" aria-expanded={open} aria-controls="user-menu" onClick={() => setOpen(!open)}>
              <span className="avatar" aria-hidden="true">
                {(me?.name || me?.email || "?").slice(0, 1).toUpperCase()}
              </span>
              <span className="user-name">{me?.name || me?.email || "Account"}</span>
              <span className="visually-hidden"> (account menu)</span>
            </button>
            {open && (
              <ul id="user-menu" className="menu" onClick={() => setOpen(false)}>
                <li>
                  <Link to="/profile">Profile</Link>
                </li>
                <li>
                  <a href="/docs">API docs</a>
                </li>
                <li>
                  <button type="button" onClick={() => void signOut()}>
                    Log out
                  </button>
                </li>
              </ul>
            )}
          </div>
        </div>
        <nav aria-label="Main" className="nav">
          {NAV.filter((n) => atLeast(role, n.min)).map((n) => (
            <Link key={n.to} to={n.to} className="nav-link" aria-current={path === n.to || path.startsWith(`${n.to}/`) ? "page" : undefined}>
              {n.label}
            </Link>
          ))}
          <a className="nav-link nav-docs" href="/docs">
            API docs
          </a>
        </nav>
      </header>
      <main id="main" className="content" tabIndex={-1}>
        {children}
      </main>
    </div>
  );
}
