// Profile.tsx — your name, your e-mail address (send its confirmation again, or change it: the
// new address confirms by a mailed link), your password (the answer carries a fresh session: every other session of yours is revoked), your
// sessions (each revocable), log out here or everywhere, and the API docs.
import { useState } from "react";
import { api, call } from "../api/client";
import { useAuth } from "../auth/context";
import { adopt, logout, signedOut } from "../auth/session";
import { navigate, useTitle } from "../router";
import { Alert, Loading, PageHeader, ProblemAlert, TextField } from "../ui/kit";
import { useSubmit } from "../ui/useSubmit";
import { SessionsList } from "./Sessions";

export function ProfilePage() {
  useTitle("Profile");
  const { me, reloadMe } = useAuth();
  const [name, setName] = useState<string | null>(null);
  const nameForm = useSubmit();
  const [pw, setPw] = useState({ current: "", next: "" });
  const pwForm = useSubmit();
  const out = useSubmit();
  const verify = useSubmit();
  const [mail, setMail] = useState({ next: "", current: "" });
  const mailForm = useSubmit();
  if (!me) return <Loading label="Loading your profile…" />;
  const shownName = name ?? me.name;

  const saveName = nameForm.submit(async () => {
    await call(api.PATCH("/api/v1/users/me", { body: { name: shownName } }));
    reloadMe();
    setName(null);
    return "Saved.";
  });
  const changePassword = pwForm.submit(async () => {
    const r = await call(api.PATCH("/api/v1/users/me", { body: { password: pw.next, current_password: pw.current } }));
    const d = r.data as { access_token?: string; expires_in?: number };
    // Every older token died with the change; the answer carries this session's new one.
    if (d.access_token && d.expires_in) adopt({ access_token: d.access_token, expires_in: d.expires_in, user_id: me.id, tenant_id: me.tenant_id, role: me.role });
    setPw({ current: "", next: "" });
    return "Password changed. Your other sessions were logged out.";
  });
  const resendVerification = () =>
    verify.run(async () => {
      const r = await call(api.POST("/api/v1/auth/email/verify/resend"));
      return r.data.status === "verified" ? "Your e-mail address is already confirmed." : `A new confirmation link is on its way to ${me.email}.`;
    });
  const changeEmail = mailForm.submit(async () => {
    const to = mail.next.trim();
    await call(api.POST("/api/v1/users/me/email", { body: { email: to, current_password: mail.current } }));
    setMail({ next: "", current: "" });
    return `A confirmation link is on its way to ${to}. Your address changes when you open it (within 24 hours); until then you log in with ${me.email}.`;
  });
  const logoutAll = () =>
    out.run(async () => {
      await call(api.POST("/api/v1/auth/logout-all"));
      signedOut();
      navigate("/login", { replace: true });
    });


  const nf = nameForm.fields;
  const pf = pwForm.fields;
  const mf = mailForm.fields;
  return (
    <>
      <PageHeader title="Profile" />
      <form className="card" onSubmit={saveName} noValidate aria-label="Your name">
        <h2>You</h2>
        {nameForm.notice && <Alert kind="success">{nameForm.notice}</Alert>}
        <ProblemAlert problem={nameForm.general} />
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
        {verify.notice && <Alert kind="success">{verify.notice}</Alert>}
        <ProblemAlert problem={verify.problem} />
        <p className="muted small">Until your address is confirmed, you cannot invite anyone. The link in the mail works once, for 7 days.</p>
        <div className="form-actions">
          <button type="button" className="btn" onClick={() => void resendVerification()}>
            Send the confirmation e-mail again
          </button>
        </div>
      </section>
      <form className="card" onSubmit={changeEmail} noValidate aria-label="Change e-mail address">
        <h2>Change e-mail address</h2>
        {mailForm.notice && <Alert kind="success">{mailForm.notice}</Alert>}
        <ProblemAlert problem={mailForm.general} />
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
        {pwForm.notice && <Alert kind="success">{pwForm.notice}</Alert>}
        <ProblemAlert problem={pwForm.general} />
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
        <ProblemAlert problem={out.problem} />
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
