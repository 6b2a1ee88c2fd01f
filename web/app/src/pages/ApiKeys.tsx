// ApiKeys.tsx — the tenant's API keys for machine clients (admins): create one (its secret
// is shown once, here), see each by its prefix and last four characters, revoke one (it is
// refused from the next request on). A key's role cannot be above yours: the server decides.
import { useState } from "react";
import { api, call } from "../api/client";
import { atLeast, ROLES, type ApiKey, type ApiKeyCreated, type Role } from "../api/types";
import { useAuth } from "../auth/context";
import { useTitle } from "../router";
import { RowAction, WhenCell } from "../ui/DataTable";
import { Alert, ConfirmDialog, PageHeader, ProblemAlert, Select, TextField } from "../ui/kit";
import { PagedTable } from "../ui/PagedList";
import { cursorParam, usePaged } from "../ui/usePaged";
import { useSubmit } from "../ui/useSubmit";

export function ApiKeysPage() {
  useTitle("API keys");
  const { role, session } = useAuth();
  const keys = usePaged(
    (after: string | null) =>
      call(api.GET("/api/v1/tenants/current/api-keys", { params: { query: { limit: 50, ...cursorParam(after) } } })),
    [session?.tenantId],
  );
  const [name, setName] = useState("");
  const [keyRole, setKeyRole] = useState<Role>("member");
  const [expires, setExpires] = useState("");
  const form = useSubmit();
  const [created, setCreated] = useState<ApiKeyCreated | null>(null);
  const actions = useSubmit();
  const [notice, setNotice] = useState<string | null>(null);
  const [revoking, setRevoking] = useState<ApiKey | null>(null);
  // A key's role is never above its creator's.
  const grantable = ROLES.filter((r) => atLeast(role, r));

  const create = form.submit(async () => {
    setNotice(null);
    setCreated(null);
    // A date picker gives a local day; the key lasts until its end, in UTC.
    const body = { name: name.trim(), role: keyRole, ...(expires ? { expires_at: `${expires}T23:59:59Z` } : {}) };
    const r = await call(api.POST("/api/v1/tenants/current/api-keys", { body }));
    setCreated(r.data);
    const { secret: _secret, ...listed } = r.data;
    keys.setItems((old) => [listed, ...old]);
    setName("");
    setExpires("");
  });

  const revoke = async () => {
    const k = revoking;
    setRevoking(null);
    if (!k) return;
    await actions.run(async () => {
      setNotice(null);
      await call(api.DELETE("/api/v1/tenants/current/api-keys/{id}", { params: { path: { id: k.id } } }));
      keys.setItems((old) => old.map((x) => (x.id === k.id ? { ...x, revoked_at: new Date().toISOString() } : x)));
      setNotice(`The key “${k.name}” was revoked; it no longer works.`);
    });
  };

  const f = form.fields;
  return (
    <>
      <PageHeader title="API keys" />
      <form className="card" onSubmit={create} noValidate aria-label="Create an API key">
        <h2>Create an API key</h2>
        <p className="muted small">
          A key lets a script or service call the API as you, in this tenant, with the role you give it. Send it as <code>Authorization: Bearer …</code>.
        </p>
        <ProblemAlert problem={form.general} />
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
      <ProblemAlert problem={actions.problem} />
      <PagedTable
        list={keys}
        loading="Loading API keys…"
        empty={<p>No API keys yet.</p>}
        caption="API keys"
        className="api-keys"
        columns={["Name", "Key", "Role", "Created", "Last used", "Expires"]}
        actions
        row={(k) => (
          <tr key={k.id} data-key={k.id}>
            <td>{k.name}</td>
            <td>
              <code>
                {k.prefix}…{k.last_four}
              </code>
            </td>
            <td>{k.role}</td>
            <WhenCell at={k.created_at} />
            <WhenCell at={k.last_used_at} />
            <WhenCell at={k.expires_at} />
            <td className="actions">
              {k.revoked_at ? (
                <span className="muted small">Revoked</span>
              ) : (
                <RowAction label="Revoke" of={k.name} onClick={() => setRevoking(k)} />
              )}
            </td>
          </tr>
        )}
      />
      <ConfirmDialog open={revoking !== null} title="Revoke this key?" confirm="Revoke" onConfirm={() => void revoke()} onClose={() => setRevoking(null)}>
        <p>Anything using “{revoking?.name}” stops working at once.</p>
      </ConfirmDialog>
    </>
  );
}
