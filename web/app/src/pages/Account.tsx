// Account.tsx — the pages a mailed link opens: forgot and reset a password, confirm an e-mail
// address, confirm a new e-mail address, accept an invitation. The token travels in the link's fragment (#token=…), which
// the browser never sends to a server; these pages read it and post it to the API.
import { useEffect, useState } from "react";
import { api, call, publicApi } from "../api/client";
import { useAuth } from "../auth/context";
import { adopt } from "../auth/session";
import { Link, navigate, useTitle } from "../router";
import { Alert, Loading, TextField } from "../ui/kit";
import { useSubmit } from "../ui/useSubmit";
import { AuthCard, CardButton } from "./Auth";

const PENDING_INVITATION = "menhir.invitation";

/** The token of the link that opened the page (#token=…), or "". */
function linkToken(): string {
  return new URLSearchParams(window.location.hash.replace(/^#/, "")).get("token") ?? "";
}

export function ForgotPasswordPage() {
  useTitle("Forgot password");
  const [email, setEmail] = useState("");
  const [sent, setSent] = useState(false);
  const form = useSubmit();
  const submit = form.submit(async () => {
    await call(publicApi.POST("/api/v1/auth/password/forgot", { body: { email: email.trim() } }));
    setSent(true);
  });

  const { fields: f, busy } = form;
  return (
    <AuthCard title="Forgot your password?">
      {sent ? (
        <Alert kind="success">If an account uses {email.trim()}, a link to choose a new password is on its way. It works once, for 30 minutes.</Alert>
      ) : (
        <form onSubmit={submit} noValidate>
          {form.general && <Alert>{form.general.message}</Alert>}
          <TextField label="E-mail" type="email" name="email" autoComplete="username" required value={email} onChange={(e) => setEmail(e.target.value)} error={f.email} />
          <CardButton busy={busy} busyLabel="Sending…">
            Send me a link
          </CardButton>
        </form>
      )}
      <p className="auth-switch">
        <Link to="/login">Back to log in</Link>
      </p>
    </AuthCard>
  );
}

export function ResetPasswordPage() {
  useTitle("Choose a new password");
  const [token] = useState(linkToken);
  const [password, setPassword] = useState("");
  const [done, setDone] = useState(false);
  const form = useSubmit();
  const submit = form.submit(async () => {
    await call(publicApi.POST("/api/v1/auth/password/reset", { body: { token, password } }));
    setDone(true);
  });

  const { problem, fields: f, busy } = form;
  return (
    <AuthCard title="Choose a new password">
      {done ? (
        <>
          <Alert kind="success">Your password is changed, and every session was ended.</Alert>
          <p className="auth-switch">
            <Link to="/login">Log in</Link>
          </p>
        </>
      ) : !token || problem?.code === "invalid_token" ? (
        <>
          <Alert>This link is invalid, expired or already used.</Alert>
          <p className="auth-switch">
            <Link to="/forgot-password">Ask for a new link</Link>
          </p>
        </>
      ) : (
        <form onSubmit={submit} noValidate>
          {form.general && <Alert>{form.general.message}</Alert>}
          <TextField label="New password" type="password" name="password" autoComplete="new-password" required hint="At least 12 characters." value={password} onChange={(e) => setPassword(e.target.value)} error={f.password} />
          <CardButton busy={busy} busyLabel="Saving…">
            Set password
          </CardButton>
        </form>
      )}
    </AuthCard>
  );
}

export function VerifyEmailPage() {
  useTitle("Confirm your e-mail address");
  const [state, setState] = useState<"working" | "done" | "failed">("working");

  useEffect(() => {
    const token = linkToken();
    if (!token) {
      setState("failed");
      return;
    }
    call(publicApi.POST("/api/v1/auth/email/verify", { body: { token } })).then(
      () => setState("done"),
      () => setState("failed"),
    );
  }, []);

  return (
    <AuthCard title="Confirm your e-mail address">
      {state === "working" && <Loading label="Confirming…" />}
      {state === "done" && <Alert kind="success">Your e-mail address is confirmed.</Alert>}
      {state === "failed" && <Alert>This link is invalid, expired or already used. Signed in, you can ask for a new one from your profile.</Alert>}
      <p className="auth-switch">
        <Link to="/documents">Continue</Link>
      </p>
    </AuthCard>
  );
}

/** The link mailed to a new address: confirming it moves the account there and ends every
 * session; signed in as that account, this browser goes on with a new session. A click, not
 * the page load, confirms: a mail scanner that opens links changes nothing. */
export function ConfirmEmailPage() {
  useTitle("Confirm your new e-mail address");
  const { status, reloadMe } = useAuth();
  const [token] = useState(linkToken);
  const [done, setDone] = useState<"signed-in" | "signed-out" | null>(null);
  const form = useSubmit();
  const confirm = () =>
    form.run(async () => {
      // Signed in, the bearer token comes along: if it is this account's, the session goes on.
      const client = status === "signed-in" ? api : publicApi;
      const r = await call(client.POST("/api/v1/auth/email/confirm", { body: { token } }));
      const d = r.data as { access_token?: string } | undefined;
      if (d && "access_token" in d && d.access_token) {
        adopt(r.data as Parameters<typeof adopt>[0]);
        // The profile shows the account's address: read it again.
        reloadMe();
        setDone("signed-in");
      } else {
        setDone("signed-out");
      }
    });
  const { problem, busy } = form;

  if (status === "unknown") return <Loading label="Starting…" />;
  return (
    <AuthCard title="Confirm your new e-mail address">
      {done ? (
        <>
          <Alert kind="success">
            {done === "signed-in" ? "Your e-mail address is changed. Your other sessions were logged out." : "Your e-mail address is changed, and every session was ended. Log in with the new address."}
          </Alert>
          <p className="auth-switch">
            <Link to={done === "signed-in" ? "/profile" : "/login"}>{done === "signed-in" ? "Continue" : "Log in"}</Link>
          </p>
        </>
      ) : !token || problem?.code === "invalid_token" ? (
        <Alert>This link is invalid, expired or already used.</Alert>
      ) : problem?.code === "link_superseded" ? (
        <Alert>This change was replaced by a newer one or cancelled by a password change. Ask for it again from your profile.</Alert>
      ) : problem?.code === "email_taken" ? (
        <Alert>Another account uses this address by now, so yours keeps its old one.</Alert>
      ) : (
        <>
          {problem && <Alert>{problem.message}</Alert>}
          <p>Use this address for your Menhir account from now on? You will then log in with it, and every other session of yours ends.</p>
          <CardButton busy={busy} busyLabel="Confirming…" type="button" onClick={() => void confirm()}>
            Confirm the new address
          </CardButton>
        </>
      )}
    </AuthCard>
  );
}

export function AcceptInvitationPage() {
  useTitle("Accept the invitation");
  const { status } = useAuth();
  const [token] = useState(() => {
    const t = linkToken() || sessionStorage.getItem(PENDING_INVITATION) || "";
    sessionStorage.removeItem(PENDING_INVITATION);
    return t;
  });
  const [password, setPassword] = useState("");
  const [name, setName] = useState("");
  const [joined, setJoined] = useState<string | null>(null);
  const form = useSubmit((p) => {
    // The address has an account: keep the token for after the login (it is not in the URL).
    if (p.code === "login_required") sessionStorage.setItem(PENDING_INVITATION, token);
    return p;
  });

  const acceptSignedIn = () =>
    form.run(async () => {
      const r = await call(api.POST("/api/v1/auth/invitations/accept", { body: { token } }));
      setJoined(`You are now a ${r.data.role} of the tenant. Switch to it from the tenant menu.`);
    });

  const acceptNew = form.submit(async () => {
    const r = await call(
      publicApi.POST("/api/v1/auth/invitations/accept", {
        body: { token, password, ...(name.trim() ? { name: name.trim() } : {}) },
      }),
    );
    if ("access_token" in r.data) adopt(r.data);
    navigate("/documents", { replace: true });
  });

  const { problem, fields: f, busy } = form;
  if (status === "unknown") return <Loading label="Starting…" />;
  return (
    <AuthCard title="Accept the invitation">
      {joined ? (
        <>
          <Alert kind="success">{joined}</Alert>
          <p className="auth-switch">
            <Link to="/documents">Continue</Link>
          </p>
        </>
      ) : !token || problem?.code === "invalid_token" ? (
        <Alert>This invitation is invalid, expired, revoked or already used.</Alert>
      ) : problem?.code === "login_required" ? (
        <>
          <Alert>{status === "signed-in" ? "This invitation is for another address: log in as the invited address, then accept." : "This address already has an account: log in, then accept the invitation."}</Alert>
          <p className="auth-switch">
            <Link to={`/login?next=${encodeURIComponent("/accept-invitation")}`}>Log in</Link>
          </p>
        </>
      ) : status === "signed-in" ? (
        <>
          {problem && <Alert>{problem.message}</Alert>}
          <p>You were invited to join a tenant. Nothing changes until you accept.</p>
          <CardButton busy={busy} busyLabel="Accepting…" type="button" onClick={acceptSignedIn}>
            Accept invitation
          </CardButton>
        </>
      ) : (
        <form onSubmit={acceptNew} noValidate>
          {form.general && <Alert>{form.general.message}</Alert>}
          <p>New to Menhir? Choose a password to create your account and join. If you already have one, <Link to={`/login?next=${encodeURIComponent("/accept-invitation")}`} onClick={() => sessionStorage.setItem(PENDING_INVITATION, token)}>log in</Link> first.</p>
          <TextField label="Your name" name="name" autoComplete="name" value={name} onChange={(e) => setName(e.target.value)} error={f.name} />
          <TextField label="Password" type="password" name="password" autoComplete="new-password" required hint="At least 12 characters." value={password} onChange={(e) => setPassword(e.target.value)} error={f.password} />
          <CardButton busy={busy} busyLabel="Joining…">
            Create account and join
          </CardButton>
        </form>
      )}
    </AuthCard>
  );
}
