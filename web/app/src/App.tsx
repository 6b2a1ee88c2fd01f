// App.tsx — the screens by path, behind the sign-in.
import { useAuth } from "./auth/context";
import { AcceptInvitationPage, ConfirmEmailPage, ForgotPasswordPage, ResetPasswordPage, VerifyEmailPage } from "./pages/Account";
import { ApiKeysPage } from "./pages/ApiKeys";
import { LoginPage, SignupPage } from "./pages/Auth";
import { AuditPage } from "./pages/Audit";
import { DocumentPage, NewDocumentPage } from "./pages/Document";
import { DocumentsPage } from "./pages/Documents";
import { JobsPage } from "./pages/Jobs";
import { MembersPage } from "./pages/Members";
import { ProfilePage } from "./pages/Profile";
import { SettingsPage } from "./pages/Settings";
import { Link, match, Redirect, useLocation, useTitle } from "./router";
import { Layout } from "./ui/Layout";
import { Loading } from "./ui/kit";

function NotFound() {
  useTitle("Not found");
  return (
    <div className="state state-empty">
      <h1>Page not found</h1>
      <p>
        <Link to="/documents">Back to the documents</Link>
      </p>
    </div>
  );
}

function Screen({ path }: { path: string }) {
  if (path === "/" || path === "/documents") return <DocumentsPage />;
  if (path === "/documents/new") return <NewDocumentPage />;
  const doc = match("/documents/:id", path);
  if (doc?.id) return <DocumentPage id={doc.id} />;
  if (path === "/jobs") return <JobsPage />;
  if (path === "/members") return <MembersPage />;
  if (path === "/settings") return <SettingsPage />;
  if (path === "/audit") return <AuditPage />;
  if (path === "/api-keys") return <ApiKeysPage />;
  if (path === "/profile") return <ProfilePage />;
  return <NotFound />;
}

/** The pages a mailed link opens: the same whether or not someone is signed in. */
function AccountScreen({ path }: { path: string }) {
  if (path === "/forgot-password") return <ForgotPasswordPage />;
  if (path === "/reset-password") return <ResetPasswordPage />;
  if (path === "/verify-email") return <VerifyEmailPage />;
  if (path === "/confirm-email") return <ConfirmEmailPage />;
  if (path === "/accept-invitation") return <AcceptInvitationPage />;
  return null;
}

export function App() {
  const { status } = useAuth();
  const { path } = useLocation();
  const account = AccountScreen({ path });
  if (account) return account;
  if (status === "unknown") return <Loading label="Starting…" />;
  if (status === "signed-out") {
    if (path === "/signup") return <SignupPage />;
    if (path === "/login") return <LoginPage />;
    return <Redirect to={path === "/" ? "/login" : `/login?next=${encodeURIComponent(path)}`} />;
  }
  if (path === "/login" || path === "/signup") return <Redirect to="/documents" />;
  return (
    <Layout>
      <Screen path={path} />
    </Layout>
  );
}
