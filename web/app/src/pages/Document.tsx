// Document.tsx — one document: read, edit with If-Match (a 412 opens the conflict dialog:
// reload theirs or overwrite with mine), soft delete, restore (admins), attachments and
// processing. Also the "new document" form.
import { useEffect, useState, type FormEvent } from "react";
import { api, asProblem, call, myUserId, problem as toProblem, type ApiProblem } from "../api/client";
import { atLeast, DOCUMENT_STATUSES, type Document, type DocumentStatus } from "../api/types";
import { useAuth } from "../auth/context";
import { Link, navigate, useTitle } from "../router";
import { Alert, Badge, ConfirmDialog, Dialog, ErrorState, Loading, PageHeader, ProblemAlert, Select, TextArea, TextField, When } from "../ui/kit";
import { useSubmit } from "../ui/useSubmit";
import { Attachments } from "./Attachments";
import { ProcessPanel } from "./Process";

interface Draft {
  title: string;
  body: string;
  tags: string;
  status: DocumentStatus;
}

const toDraft = (d: Document): Draft => ({ title: d.title, body: d.body, tags: d.tags.join(", "), status: d.status });
const tagsOf = (s: string) => s.split(",").map((t) => t.trim()).filter(Boolean);
const statusOptions = DOCUMENT_STATUSES.map((s) => ({ value: s, label: s }));

function DocumentForm({
  draft,
  setDraft,
  fields,
  readOnly,
}: {
  draft: Draft;
  setDraft: (d: Draft) => void;
  fields: Record<string, string>;
  readOnly: boolean;
}) {
  return (
    <>
      <TextField label="Title" name="title" required maxLength={200} readOnly={readOnly} value={draft.title} onChange={(e) => setDraft({ ...draft, title: e.target.value })} error={fields.title} />
      <div className="form-row">
        <TextField label="Tags" name="tags" hint="Separated by commas." readOnly={readOnly} value={draft.tags} onChange={(e) => setDraft({ ...draft, tags: e.target.value })} error={fields.tags} />
        <Select label="Status" name="status" disabled={readOnly} value={draft.status} onChange={(e) => setDraft({ ...draft, status: e.target.value as DocumentStatus })} options={statusOptions} error={fields.status} />
      </div>
      <TextArea label="Body" name="body" rows={14} readOnly={readOnly} value={draft.body} onChange={(e) => setDraft({ ...draft, body: e.target.value })} error={fields.body} />
    </>
  );
}

export function NewDocumentPage() {
  useTitle("New document");
  const [draft, setDraft] = useState<Draft>({ title: "", body: "", tags: "", status: "draft" });
  const form = useSubmit();
  // One key per form: a double submit or a retried request creates one document.
  const [key] = useState(() => crypto.randomUUID());

  const submit = form.submit(async () => {
    const r = await call(
      api.POST("/api/v1/documents", {
        body: { title: draft.title, body: draft.body, tags: tagsOf(draft.tags), status: draft.status },
        headers: { "Idempotency-Key": key },
      }),
    );
    navigate(`/documents/${r.data.id}`, { replace: true });
  });
  return (
    <>
      <PageHeader title="New document" />
      <form className="card" onSubmit={submit} noValidate>
        <ProblemAlert problem={form.general} />
        <DocumentForm draft={draft} setDraft={setDraft} fields={form.fields} readOnly={false} />
        <div className="form-actions">
          <button type="submit" className="btn btn-primary" disabled={form.busy}>
            {form.busy ? "Creating…" : "Create document"}
          </button>
          <Link to="/documents" className="btn btn-ghost">
            Cancel
          </Link>
        </div>
      </form>
    </>
  );
}

export function DocumentPage({ id }: { id: string }) {
  const { role } = useAuth();
  const [doc, setDoc] = useState<Document | null>(null);
  const [etag, setEtag] = useState<string | null>(null);
  const [draft, setDraft] = useState<Draft | null>(null);
  const [loadProblem, setLoadProblem] = useState<ApiProblem | null>(null);
  const [problem, setProblem] = useState<ApiProblem | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [conflict, setConflict] = useState(false);
  const [confirmDelete, setConfirmDelete] = useState(false);
  const [attempt, setAttempt] = useState(0);
  useTitle(doc?.title ?? "Document");

  const fetchDoc = async () => {
    const r = await api.GET("/api/v1/documents/{id}", {
      params: { path: { id }, query: atLeast(role, "admin") ? { include_deleted: true } : {} },
    });
    if (r.error !== undefined || !r.data) throw toProblem(r.error, r.response);
    return { doc: r.data.data, etag: r.response.headers.get("ETag") };
  };
  const show = (d: Document, tag: string | null) => {
    setDoc(d);
    setEtag(tag);
    setDraft(toDraft(d));
  };

  useEffect(() => {
    let live = true;
    setDoc(null);
    setLoadProblem(null);
    fetchDoc().then(
      (r) => live && show(r.doc, r.etag),
      (e) => live && setLoadProblem(asProblem(e)),
    );
    return () => {
      live = false;
    };
  }, [id, attempt, role]);

  if (loadProblem) {
    return loadProblem.status === 404 ? (
      <div className="state state-empty">
        <h1>Document not found</h1>
        <p>It does not exist, was deleted, or belongs to another tenant.</p>
        <Link to="/documents">Back to the documents</Link>
      </div>
    ) : (
      <ErrorState problem={loadProblem} onRetry={() => setAttempt(attempt + 1)} />
    );
  }
  if (!doc || !draft) return <Loading label="Loading the document…" />;

  const mine = doc.owner_id === myUserId();
  const canEdit = !doc.deleted_at && (atLeast(role, "admin") || (atLeast(role, "member") && mine));
  const dirty = JSON.stringify(draft) !== JSON.stringify(toDraft(doc));

  const save = async (ifMatch: string | null) => {
    setBusy(true);
    setProblem(null);
    setNotice(null);
    const r = await api
      .PATCH("/api/v1/documents/{id}", {
        params: { path: { id } },
        headers: ifMatch ? { "If-Match": ifMatch } : {},
        body: { title: draft.title, body: draft.body, tags: tagsOf(draft.tags), status: draft.status },
      })
      .catch((e: unknown) => ({ error: asProblem(e), data: undefined, response: undefined }));
    setBusy(false);
    if (r.response?.ok && r.data) {
      show(r.data.data, r.response.headers.get("ETag"));
      setNotice("Saved.");
      return;
    }
    if (r.response?.status === 412) {
      setConflict(true);
      return;
    }
    setProblem(r.response ? toProblem(r.error, r.response) : (r.error as ApiProblem));
  };

  const submit = (e: FormEvent) => {
    e.preventDefault();
    void save(etag);
  };

  // The conflict dialog's two ways out.
  const reloadTheirs = async () => {
    setConflict(false);
    try {
      const r = await fetchDoc();
      show(r.doc, r.etag);
      setNotice("Reloaded the latest version; your changes were discarded.");
    } catch (e) {
      setProblem(asProblem(e));
    }
  };
  const overwrite = async () => {
    setConflict(false);
    try {
      // Overwrite exactly the version we have now seen: a third change still conflicts.
      const r = await fetchDoc();
      setEtag(r.etag);
      await save(r.etag);
    } catch (e) {
      setProblem(asProblem(e));
    }
  };

  const remove = async () => {
    setConfirmDelete(false);
    setBusy(true);
    try {
      await call(api.DELETE("/api/v1/documents/{id}", { params: { path: { id } }, headers: etag ? { "If-Match": etag } : {} }));
      navigate("/documents");
    } catch (e) {
      const p = asProblem(e);
      setProblem(p.status === 412 ? { ...p, message: "The document changed since you opened it; reload before deleting." } : p);
      setBusy(false);
    }
  };
  const restore = async () => {
    setBusy(true);
    setProblem(null);
    try {
      const r = await api.POST("/api/v1/documents/{id}/restore", { params: { path: { id } } });
      if (r.error !== undefined || !r.data) throw toProblem(r.error, r.response);
      show(r.data.data, r.response.headers.get("ETag"));
      setNotice("Restored.");
    } catch (e) {
      setProblem(asProblem(e));
    } finally {
      setBusy(false);
    }
  };

  const fields = problem?.fields ?? {};
  return (
    <>
      <nav aria-label="Breadcrumb" className="breadcrumb">
        <Link to="/documents">Documents</Link> <span aria-hidden="true">/</span>
      </nav>
      <PageHeader title={doc.title}>
        {doc.deleted_at && atLeast(role, "admin") && (
          <button type="button" className="btn" onClick={() => void restore()} disabled={busy}>
            Restore
          </button>
        )}
        {canEdit && (
          <button type="button" className="btn btn-danger" onClick={() => setConfirmDelete(true)} disabled={busy}>
            Delete
          </button>
        )}
      </PageHeader>
      <p className="doc-facts">
        <Badge value={doc.deleted_at ? "deleted" : doc.status} /> <span>version {doc.version}</span> · <span>updated <When at={doc.updated_at} /></span>
        {doc.deleted_at && (
          <>
            {" "}
            · <span>deleted <When at={doc.deleted_at} /></span>
          </>
        )}
      </p>
      {!canEdit && !doc.deleted_at && (
        <Alert kind="info">You can read this document; {atLeast(role, "member") ? "only its owner or an admin can change it." : "viewers cannot change documents."}</Alert>
      )}
      <div className="doc-layout">
        <form className="card doc-editor" onSubmit={submit} noValidate aria-label="Edit document">
          {notice && <Alert kind="success">{notice}</Alert>}
          {problem && Object.keys(fields).length === 0 && <ProblemAlert problem={problem} />}
          <DocumentForm draft={draft} setDraft={(d) => { setDraft(d); setNotice(null); }} fields={fields} readOnly={!canEdit} />
          {canEdit && (
            <div className="form-actions">
              <button type="submit" className="btn btn-primary" disabled={busy || !dirty}>
                {busy ? "Saving…" : "Save"}
              </button>
              <button type="button" className="btn btn-ghost" disabled={busy || !dirty} onClick={() => setDraft(toDraft(doc))}>
                Discard changes
              </button>
            </div>
          )}
        </form>
        <aside className="doc-side">
          <Attachments docId={doc.id} canUpload={canEdit} />
          {!doc.deleted_at && <ProcessPanel doc={doc} canRewrite={canEdit} onRewritten={() => setAttempt(attempt + 1)} />}
        </aside>
      </div>

      <Dialog open={conflict} title="This document changed meanwhile" onClose={() => setConflict(false)}>
        <p>Someone saved a newer version after you opened it. Keep theirs, or replace it with yours?</p>
        <div className="form-actions">
          <button type="button" className="btn" onClick={() => void reloadTheirs()}>
            Reload theirs (discard mine)
          </button>
          <button type="button" className="btn btn-danger" onClick={() => void overwrite()}>
            Overwrite with mine
          </button>
        </div>
      </Dialog>
      <ConfirmDialog open={confirmDelete} title="Delete this document?" confirm="Delete" onConfirm={() => void remove()} onClose={() => setConfirmDelete(false)}>
        <p>It disappears from the list; an admin can restore it.</p>
      </ConfirmDialog>
    </>
  );
}
