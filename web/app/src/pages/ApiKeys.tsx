// ApiKeys.tsx — the tenant's API keys for machine clients (admins): create one (its secret
// is shown once, here), see each by its prefix and last four characters, revoke one (it is
// refused from the next request on). A key's role cannot be above yours: the server decides.
import { useEffect, useState, type FormEvent } from "react";
import { api, asProblem, call, type ApiProblem } from "../api/client";
import { atLeast, ROLES, type ApiKey, type ApiKeyCreated, type Role } from "../api/types";
import { useAuth } from "../auth/context";
import { useTitle } from "../router";
import { Alert, Dialog, Empty, ErrorState, Loading, PageHeader, ProblemAlert, Select, TextField, When } from "../ui/kit";

export function ApiKeysPage() {
  useTitle("API keys");
  const { role, session } = useAuth();
  const [items, setItems] = useState<ApiKey[]>([]);
  const [cursor, setCursor] = useState<string | null>(null);
  const [state, setState] = useState<"loading" | "ok" | "error">("loading");
  const [problem, setProblem] = useState<ApiProblem | null>(null);
  const [attempt, setAttempt] = useState(0);
  const [name, setName] = useState("");
  const [keyRole, setKeyRole] = useState<Role>("member");
  const [expires, setExpires] = useState("");
  const [createProblem, setCreateProblem] = useState<ApiProblem | null>(null);
  const [created, setCreated] = useState<ApiKeyCreated | null>(null);
  const [actionProblem, setActionProblem] = useState<ApiProblem | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [revoking, setRevoking] = useState<ApiKey | null>(null);
  // A key's role is never above its creator's.
  const grantable = ROLES.filter((r) => atLeast(role, r));
  const page = (after: string | null) =>
    call(api.GET("/api/v1/tenants/current/api-keys", { params: { query: { limit: 50, ...(after ? { cursor: after } : {}) } } }));

  useEffect(() => {
    let live = true;
    setState("loading");
    page(null).then(
      (r) => {
        if (!live) return;
        setItems(r.data);
        setCursor(r.next_cursor ?? null);
        setState("ok");
      },
      (e) => {
        if (!live) return;
        setProblem(asProblem(e));
        setState("error");
      },
    );
    return () => {
      live = false;
    };
  }, [attempt, session?.tenantId]);

  const more = async () => {
    if (!cursor) return;
    try {
      const r = await page(cursor);
      setItems((old) => [...old, ...r.data]);
      setCursor(r.next_cursor ?? null);
    } catch (e) {
      setActionProblem(asProblem(e));
    }
  };

  const create = async (e: FormEvent) => {
    e.preventDefault();
    setCreateProblem(null);
    setNotice(null);
    setCreated(null);
    try {
      // A date picker gives a local day; the key lasts until its end, in UTC.
      const body = { name: name.trim(), role: keyRole, ...(expires ? { expires_at: `${expires}T23:59:59Z` } : {}) };
      const r = await call(api.POST("/api/v1/tenants/current/api-keys", { body }));
      setCreated(r.data);
      const { secret: _secret, ...listed } = r.data;
      setItems((old) => [listed, ...old]);
      setName("");
      setExpires("");
    } catch (err) {
      setCreateProblem(asProblem(err));
    }
  };

  const revoke = async () => {
    const k = revoking;
    setRevoking(null);
    if (!k) return;
    setActionProblem(null);
    setNotice(null);
    try {
      await call(api.DELETE("/api/v1/tenants/current/api-keys/{id}", { params: { path: { id: k.id } } }));
      setItems((old) => old.map((x) => (x.id === k.id ? { ...x, revoked_at: new Date().toISOString() } : x)));
      setNotice(`The key “${k.name}” was revoked; it no longer works.`);
    } catch (err) {
      setActionProblem(asProblem(err));
    }
  };

  const f = createProblem?.fields ?? {};
  return (
    <>
      <PageHeader title="API keys" />
      <form className="card" onSubmit={create} noValidate aria-label="Create an API key">
        <h2>Create an API key</h2>
        <p className="muted small">
          A key lets a script or service call the API as you, in this tenant, with the role you give it. Send it as <code>Authorization: Bearer …</code>.
        </p>
        {createProblem && Object.keys(f).length === 0 && <ProblemAlert problem={createProblem} />}
        <div className="form-row">
          <TextField label="Name" name="key-name" required value={name} onChange={(e) => setName(e.target.value)} error={f.name} hint="What uses it, e.g. “CI deploys”." />
          <Select label="Role" name="key-role" value={keyRole} onChange={(e) => setKeyRole(e.target.value as Role)} options={grantable.map((r) => ({ value: r, label: r }))} error={f.role} />
          <TextField label="Expires (optional)" type="date" name="key-expires" value={expires} onChange={(e) => setExpires(e.target.value)} error={f.expires_at} />
        </div>
        <div className="form-actions">
          <button type="submit" className="btn btn-primary" disabled={!name.trim()}>
            Create key
          </button>
        </div>
      </form>
      {created && (
        <Alert kind="info">
          <p>
            <strong>Copy the key “{created.name}” now: it is shown only this once.</strong>
          </p>
          <p>
            <label htmlFor="new-key-secret" className="visually-hidden">
              The new key
            </label>
            <input id="new-key-secret" className="secret" readOnly value={created.secret} onFocus={(e) => e.target.select()} />
          </p>
          <button type="button" className="btn btn-small" onClick={() => setCreated(null)}>
            I have copied it
          </button>
        </Alert>
      )}
      {notice && <Alert kind="success">{notice}</Alert>}
      <ProblemAlert problem={actionProblem} />
      {state === "loading" && <Loading label="Loading API keys…" />}
      {state === "error" && problem && <ErrorState problem={problem} onRetry={() => setAttempt(attempt + 1)} />}
      {state === "ok" && items.length === 0 && (
        <Empty>
          <p>No API keys yet.</p>
        </Empty>
      )}
      {state === "ok" && items.length > 0 && (
        <div className="table-wrap">
          <table className="table api-keys">
            <caption className="visually-hidden">API keys</caption>
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Key</th>
                <th scope="col">Role</th>
                <th scope="col">Created</th>
                <th scope="col">Last used</th>
                <th scope="col">Expires</th>
                <th scope="col">
                  <span className="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {items.map((k) => (
                <tr key={k.id} data-key={k.id}>
                  <td>{k.name}</td>
                  <td>
                    <code>
                      {k.prefix}…{k.last_four}
                    </code>
                  </td>
                  <td>{k.role}</td>
                  <td>
                    <When at={k.created_at} />
                  </td>
                  <td>
                    <When at={k.last_used_at} />
                  </td>
                  <td>
                    <When at={k.expires_at} />
                  </td>
                  <td className="actions">
                    {k.revoked_at ? (
                      <span className="muted small">Revoked</span>
                    ) : (
                      <button type="button" className="btn btn-small btn-ghost" onClick={() => setRevoking(k)}>
                        Revoke<span className="visually-hidden"> {k.name}</span>
                      </button>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {cursor && (
        <div className="load-more">
          <button type="button" className="btn" onClick={() => void more()}>
            Load more
          </button>
        </div>
      )}
      <Dialog open={revoking !== null} title="Revoke this key?" onClose={() => setRevoking(null)}>
        <p>Anything using “{revoking?.name}” stops working at once.</p>
        <div className="form-actions">
          <button type="button" className="btn btn-danger" onClick={() => void revoke()}>
            Revoke
          </button>
          <button type="button" className="btn btn-ghost" onClick={() => setRevoking(null)}>
            Cancel
          </button>
        </div>
      </Dialog>
    </>
  );
}
