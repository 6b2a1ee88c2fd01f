// Profile.tsx — your name, your e-mail address (send its confirmation again, or change it: the
// new address confirms by a mailed link), your password (the answer carries a fresh session: every other session of yours is revoked), your
// sessions (each revocable), log out here or everywhere, and the API docs.
import { useState, type FormEvent } from "react";
import { api, asProblem, call, type ApiProblem } from "../api/client";
import { useAuth } from "../auth/context";
import { adopt, logout, signedOut } from "../auth/session";
import { navigate, useTitle } from "../router";
import { Alert, Loading, PageHeader, ProblemAlert, TextField } from "../ui/kit";
import { SessionsList } from "./Sessions";

export function ProfilePage() {
  useTitle("Profile");
  const { me, reloadMe } = useAuth();
  const [name, setName] = useState<string | null>(null);
  const [nameProblem, setNameProblem] = useState<ApiProblem | null>(null);
  const [nameNotice, setNameNotice] = useState<string | null>(null);
  const [pw, setPw] = useState({ current: "", next: "" });
  const [pwProblem, setPwProblem] = useState<ApiProblem | null>(null);
  const [pwNotice, setPwNotice] = useState<string | null>(null);
  const [outProblem, setOutProblem] = useState<ApiProblem | null>(null);
  const [verifyNotice, setVerifyNotice] = useState<string | null>(null);
  const [verifyProblem, setVerifyProblem] = useState<ApiProblem | null>(null);
  const [mail, setMail] = useState({ next: "", current: "" });
  const [mailProblem, setMailProblem] = useState<ApiProblem | null>(null);
  const [mailNotice, setMailNotice] = useState<string | null>(null);
  if (!me) return <Loading label="Loading your profile…" />;
  const shownName = name ?? me.name;

  const saveName = async (e: FormEvent) => {
    e.preventDefault();
    setNameProblem(null);
    setNameNotice(null);
    try {
      await call(api.PATCH("/api/v1/users/me", { body: { name: shownName } }));
      reloadMe();
      setName(null);
      setNameNotice("Saved.");
    } catch (err) {
      setNameProblem(asProblem(err));
    }
  };
  const changePassword = async (e: FormEvent) => {
    e.preventDefault();
    setPwProblem(null);
    setPwNotice(null);
    try {
      const r = await call(api.PATCH("/api/v1/users/me", { body: { password: pw.next, current_password: pw.current } }));
      const d = r.data as { access_token?: string; expires_in?: number };
      // Every older token died with the change; the answer carries this session's new one.
      if (d.access_token && d.expires_in) adopt({ access_token: d.access_token, expires_in: d.expires_in, user_id: me.id, tenant_id: me.tenant_id, role: me.role });
      setPw({ current: "", next: "" });
      setPwNotice("Password changed. Your other sessions were logged out.");
    } catch (err) {
      setPwProblem(asProblem(err));
    }
  };
  const resendVerification = async () => {
    setVerifyProblem(null);
    setVerifyNotice(null);
    try {
      const r = await call(api.POST("/api/v1/auth/email/verify/resend"));
      setVerifyNotice(r.data.status === "verified" ? "Your e-mail address is already confirmed." : `A new confirmation link is on its way to ${me.email}.`);
    } catch (err) {
      setVerifyProblem(asProblem(err));
    }
  };
  const changeEmail = async (e: FormEvent) => {
    e.preventDefault();
    setMailProblem(null);
    setMailNotice(null);
    const to = mail.next.trim();
    try {
      await call(api.POST("/api/v1/users/me/email", { body: { email: to, current_password: mail.current } }));
      setMail({ next: "", current: "" });
      setMailNotice(`A confirmation link is on its way to ${to}. Your address changes when you open it (within 24 hours); until then you log in with ${me.email}.`);
    } catch (err) {
      setMailProblem(asProblem(err));
    }
  };
  const logoutAll = async () => {
    setOutProblem(null);
    try {
      await call(api.POST("/api/v1/auth/logout-all"));
      signedOut();
      navigate("/login", { replace: true });
    } catch (err) {
      setOutProblem(asProblem(err));
    }
  };

  const nf = nameProblem?.fields ?? {};
  const pf = pwProblem?.fields ?? {};
  const mf = mailProblem?.fields ?? {};
  return (
    <>
      <PageHeader title="Profile" />
      <form className="card" onSubmit={saveName} noValidate aria-label="Your name">
        <h2>You</h2>
        {nameNotice && <Alert kind="success">{nameNotice}</Alert>}
        {nameProblem && Object.keys(nf).length === 0 && <ProblemAlert problem={nameProblem} />}
        <p className="muted">
          {me.email} · {me.role} of this tenant
        </p>
        <TextField label="Name" name="profile-name" autoComplete="name" value={shownName} onChange={(e) => setName(e.target.value)} error={nf.name} />
        <div className="form-actions">
          <button type="submit" className="btn btn-primary" disabled={shownName === me.name}>
            Save name
          </button>
        </div>
      </form>
      <section className="card" aria-labelledby="verify-h">
        <h2 id="verify-h">E-mail address</h2>
        {verifyNotice && <Alert kind="success">{verifyNotice}</Alert>}
        <ProblemAlert problem={verifyProblem} />
        <p className="muted small">Until your address is confirmed, you cannot invite anyone. The link in the mail works once, for 7 days.</p>
        <div className="form-actions">
          <button type="button" className="btn" onClick={() => void resendVerification()}>
            Send the confirmation e-mail again
          </button>
        </div>
      </section>
      <form className="card" onSubmit={changeEmail} noValidate aria-label="Change e-mail address">
        <h2>Change e-mail address</h2>
        {mailNotice && <Alert kind="success">{mailNotice}</Alert>}
        {mailProblem && Object.keys(mf).length === 0 && <ProblemAlert problem={mailProblem} />}
        <p className="muted small">We mail a link to the new address and tell {me.email} about it. Nothing changes until the link is opened; then every other session of yours ends.</p>
        <div className="form-row">
          <TextField label="New e-mail address" type="email" name="new-email" autoComplete="email" value={mail.next} onChange={(e) => setMail({ ...mail, next: e.target.value })} error={mf.email} />
          <TextField label="Your password" type="password" name="email-current-password" autoComplete="current-password" value={mail.current} onChange={(e) => setMail({ ...mail, current: e.target.value })} error={mf.current_password} />
        </div>
        <div className="form-actions">
          <button type="submit" className="btn btn-primary" disabled={!mail.next.trim() || !mail.current}>
            Send confirmation link
          </button>
        </div>
      </form>
      <form className="card" onSubmit={changePassword} noValidate aria-label="Change password">
        <h2>Password</h2>
        {pwNotice && <Alert kind="success">{pwNotice}</Alert>}
        {pwProblem && Object.keys(pf).length === 0 && <ProblemAlert problem={pwProblem} />}
        <input type="text" name="username" autoComplete="username" value={me.email} readOnly hidden />
        <div className="form-row">
          <TextField label="Current password" type="password" name="current-password" autoComplete="current-password" value={pw.current} onChange={(e) => setPw({ ...pw, current: e.target.value })} error={pf.current_password} />
          <TextField label="New password" type="password" name="new-password" autoComplete="new-password" hint="At least 12 characters." value={pw.next} onChange={(e) => setPw({ ...pw, next: e.target.value })} error={pf.password} />
        </div>
        <div className="form-actions">
          <button type="submit" className="btn btn-primary" disabled={!pw.current || !pw.next}>
            Change password
          </button>
        </div>
      </form>
      <section className="card" aria-labelledby="sessions-h">
        <h2 id="sessions-h">Sessions</h2>
        <SessionsList />
        <ProblemAlert problem={outProblem} />
        <div className="form-actions">
          <button type="button" className="btn" onClick={() => void logout().then(() => navigate("/login", { replace: true }))}>
            Log out
          </button>
          <button type="button" className="btn btn-danger" onClick={() => void logoutAll()}>
            Log out everywhere
          </button>
        </div>
        <p className="muted small">
          The API these screens use is documented at <a href="/docs">/docs</a>.
        </p>
      </section>
    </>
  );
}
