// Members.tsx — the tenant's members; admins invite (by e-mail: the invitee joins once they
// accept), change roles and remove.
// Only an owner grants or takes away the owner role, and the last owner cannot leave:
// the server decides (409 last_owner), the screen explains.
import { useEffect, useState, type FormEvent } from "react";
import { api, asProblem, call, myUserId, type ApiProblem } from "../api/client";
import { atLeast, ROLES, type Member, type Role } from "../api/types";
import { useAuth } from "../auth/context";
import { useTitle } from "../router";
import { Alert, Dialog, Empty, ErrorState, Loading, PageHeader, ProblemAlert, Select, TextField, When } from "../ui/kit";

function explain(p: ApiProblem): ApiProblem {
  if (p.code === "last_owner") return { ...p, message: "A tenant needs at least one owner: make someone else an owner first." };
  if (p.code === "email_unverified") return { ...p, message: "Confirm your own e-mail address first: the link is in your inbox (or ask for a new one from your profile)." };
  return p;
}

export function MembersPage() {
  useTitle("Members");
  const { role, session, reloadMe } = useAuth();
  const [items, setItems] = useState<Member[]>([]);
  const [cursor, setCursor] = useState<string | null>(null);
  const [state, setState] = useState<"loading" | "ok" | "error">("loading");
  const [problem, setProblem] = useState<ApiProblem | null>(null);
  const [actionProblem, setActionProblem] = useState<ApiProblem | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [attempt, setAttempt] = useState(0);
  const [email, setEmail] = useState("");
  const [newRole, setNewRole] = useState<Role>("member");
  const [addProblem, setAddProblem] = useState<ApiProblem | null>(null);
  const [removing, setRemoving] = useState<Member | null>(null);

  const isAdmin = atLeast(role, "admin");
  const isOwner = atLeast(role, "owner");
  // Only an owner may hand out (or take away) the owner role.
  const grantable = ROLES.filter((r) => r !== "owner" || isOwner);
  const page = (after: string | null) =>
    call(api.GET("/api/v1/tenants/current/members", { params: { query: { limit: 50, ...(after ? { cursor: after } : {}) } } }));

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

  const add = async (e: FormEvent) => {
    e.preventDefault();
    setAddProblem(null);
    setNotice(null);
    try {
      const r = await call(api.POST("/api/v1/tenants/current/invitations", { body: { email: email.trim(), role: newRole } }));
      setNotice(`Invitation sent to ${r.data.email}: they join as ${r.data.role} once they accept.`);
      setEmail("");
    } catch (err) {
      setAddProblem(explain(asProblem(err)));
    }
  };

  const changeRole = async (m: Member, r: Role) => {
    setActionProblem(null);
    setNotice(null);
    try {
      const res = await call(api.PATCH("/api/v1/tenants/current/members/{user_id}", { params: { path: { user_id: m.user_id } }, body: { role: r } }));
      setItems((old) => old.map((x) => (x.user_id === m.user_id ? res.data : x)));
      setNotice(`${m.email} is now a ${r}.`);
      if (m.user_id === myUserId()) reloadMe();
    } catch (err) {
      setActionProblem(explain(asProblem(err)));
    }
  };

  const remove = async () => {
    const m = removing;
    setRemoving(null);
    if (!m) return;
    setActionProblem(null);
    setNotice(null);
    try {
      await call(api.DELETE("/api/v1/tenants/current/members/{user_id}", { params: { path: { user_id: m.user_id } } }));
      setItems((old) => old.filter((x) => x.user_id !== m.user_id));
      setNotice(`${m.email} was removed.`);
    } catch (err) {
      setActionProblem(explain(asProblem(err)));
    }
  };

  const me = myUserId();
  const f = addProblem?.fields ?? {};
  return (
    <>
      <PageHeader title="Members" />
      {isAdmin && (
        <form className="card add-member" onSubmit={add} noValidate aria-label="Invite a member">
          <h2>Invite a member</h2>
          {addProblem && Object.keys(f).length === 0 && <ProblemAlert problem={addProblem} />}
          <div className="form-row">
            <TextField label="E-mail" type="email" name="member-email" required value={email} onChange={(e) => setEmail(e.target.value)} error={f.email} hint="They get a link by e-mail (valid 7 days) and join once they accept." />
            <Select label="Role" name="member-role" value={newRole} onChange={(e) => setNewRole(e.target.value as Role)} options={grantable.map((r) => ({ value: r, label: r }))} error={f.role} />
          </div>
          <div className="form-actions">
            <button type="submit" className="btn btn-primary">
              Send invitation
            </button>
          </div>
        </form>
      )}
      {notice && <Alert kind="success">{notice}</Alert>}
      <ProblemAlert problem={actionProblem} />
      {state === "loading" && <Loading label="Loading members…" />}
      {state === "error" && problem && <ErrorState problem={problem} onRetry={() => setAttempt(attempt + 1)} />}
      {state === "ok" && items.length === 0 && (
        <Empty>
          <p>No members.</p>
        </Empty>
      )}
      {state === "ok" && items.length > 0 && (
        <div className="table-wrap">
          <table className="table">
            <caption className="visually-hidden">Members</caption>
            <thead>
              <tr>
                <th scope="col">Member</th>
                <th scope="col">Role</th>
                <th scope="col">Joined</th>
                {isAdmin && (
                  <th scope="col">
                    <span className="visually-hidden">Actions</span>
                  </th>
                )}
              </tr>
            </thead>
            <tbody>
              {items.map((m) => {
                // An admin cannot change an owner; only owners manage the owner role.
                const editable = isAdmin && (m.role !== "owner" || isOwner);
                return (
                  <tr key={m.user_id}>
                    <td>
                      <div>{m.name || m.email}</div>
                      {m.name && <div className="muted small">{m.email}</div>}
                      {m.user_id === me && <span className="muted small"> (you)</span>}
                    </td>
                    <td>
                      {editable ? (
                        <>
                          <label className="visually-hidden" htmlFor={`role-${m.user_id}`}>
                            Role of {m.email}
                          </label>
                          <select id={`role-${m.user_id}`} value={m.role} onChange={(e) => void changeRole(m, e.target.value as Role)}>
                            {grantable.concat(grantable.includes(m.role) ? [] : [m.role]).map((r) => (
                              <option key={r} value={r}>
                                {r}
                              </option>
                            ))}
                          </select>
                        </>
                      ) : (
                        m.role
                      )}
                    </td>
                    <td>
                      <When at={m.joined_at} />
                    </td>
                    {isAdmin && (
                      <td className="actions">
                        {editable && (
                          <button type="button" className="btn btn-small btn-ghost" onClick={() => setRemoving(m)}>
                            Remove<span className="visually-hidden"> {m.email}</span>
                          </button>
                        )}
                      </td>
                    )}
                  </tr>
                );
              })}
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
      <Dialog open={removing !== null} title="Remove this member?" onClose={() => setRemoving(null)}>
        <p>{removing?.email} loses access to this tenant at once.</p>
        <div className="form-actions">
          <button type="button" className="btn btn-danger" onClick={() => void remove()}>
            Remove
          </button>
          <button type="button" className="btn btn-ghost" onClick={() => setRemoving(null)}>
            Cancel
          </button>
        </div>
      </Dialog>
    </>
  );
}
