// Members.tsx — the tenant's members; admins invite (by e-mail: the invitee joins once they
// accept), change roles and remove.
// Only an owner grants or takes away the owner role, and the last owner cannot leave:
// the server decides (409 last_owner), the screen explains.
import { useState } from "react";
import { api, call, myUserId, type ApiProblem } from "../api/client";
import { atLeast, ROLES, type Member, type Role } from "../api/types";
import { useAuth } from "../auth/context";
import { useTitle } from "../router";
import { RowAction, WhenCell } from "../ui/DataTable";
import { Alert, ConfirmDialog, PageHeader, ProblemAlert, Select, TextField } from "../ui/kit";
import { PagedTable } from "../ui/PagedList";
import { cursorParam, usePaged } from "../ui/usePaged";
import { useSubmit } from "../ui/useSubmit";

function explain(p: ApiProblem): ApiProblem {
  if (p.code === "last_owner") return { ...p, message: "A tenant needs at least one owner: make someone else an owner first." };
  if (p.code === "email_unverified") return { ...p, message: "Confirm your own e-mail address first: the link is in your inbox (or ask for a new one from your profile)." };
  return p;
}

export function MembersPage() {
  useTitle("Members");
  const { role, session, reloadMe } = useAuth();
  const members = usePaged(
    (after: string | null) =>
      call(api.GET("/api/v1/tenants/current/members", { params: { query: { limit: 50, ...cursorParam(after) } } })),
    [session?.tenantId],
  );
  const actions = useSubmit(explain);
  const [notice, setNotice] = useState<string | null>(null);
  const [email, setEmail] = useState("");
  const [newRole, setNewRole] = useState<Role>("member");
  const invite = useSubmit(explain);
  const [removing, setRemoving] = useState<Member | null>(null);

  const isAdmin = atLeast(role, "admin");
  const isOwner = atLeast(role, "owner");
  // Only an owner may hand out (or take away) the owner role.
  const grantable = ROLES.filter((r) => r !== "owner" || isOwner);

  const add = invite.submit(async () => {
    setNotice(null);
    const r = await call(api.POST("/api/v1/tenants/current/invitations", { body: { email: email.trim(), role: newRole } }));
    setNotice(`Invitation sent to ${r.data.email}: they join as ${r.data.role} once they accept.`);
    setEmail("");
  });

  const changeRole = (m: Member, r: Role) =>
    actions.run(async () => {
      setNotice(null);
      const res = await call(api.PATCH("/api/v1/tenants/current/members/{user_id}", { params: { path: { user_id: m.user_id } }, body: { role: r } }));
      members.setItems((old) => old.map((x) => (x.user_id === m.user_id ? res.data : x)));
      setNotice(`${m.email} is now a ${r}.`);
      if (m.user_id === myUserId()) reloadMe();
    });

  const remove = async () => {
    const m = removing;
    setRemoving(null);
    if (!m) return;
    await actions.run(async () => {
      setNotice(null);
      await call(api.DELETE("/api/v1/tenants/current/members/{user_id}", { params: { path: { user_id: m.user_id } } }));
      members.setItems((old) => old.filter((x) => x.user_id !== m.user_id));
      setNotice(`${m.email} was removed.`);
    });
  };

  const me = myUserId();
  const f = invite.fields;
  return (
    <>
      <PageHeader title="Members" />
      {isAdmin && (
        <form className="card add-member" onSubmit={add} noValidate aria-label="Invite a member">
          <h2>Invite a member</h2>
          <ProblemAlert problem={invite.general} />
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
      <ProblemAlert problem={actions.problem} />
      <PagedTable
        list={members}
        loading="Loading members…"
        empty={<p>No members.</p>}
        caption="Members"
        columns={["Member", "Role", "Joined"]}
        actions={isAdmin}
        row={(m) => {
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
              <WhenCell at={m.joined_at} />
              {isAdmin && (
                <td className="actions">
                  {editable && (
                    <RowAction label="Remove" of={m.email} onClick={() => setRemoving(m)} />
                  )}
                </td>
              )}
            </tr>
          );
        }}
      />
      <ConfirmDialog open={removing !== null} title="Remove this member?" confirm="Remove" onConfirm={() => void remove()} onClose={() => setRemoving(null)}>
        <p>{removing?.email} loses access to this tenant at once.</p>
      </ConfirmDialog>
    </>
  );
}
