// Attachments.tsx — upload a file to a document with a progress bar, download it, delete it.
// The API lists no document's files (only upload, download and delete by id), so the panel
// shows the files uploaded from this tab.
import { useId, useRef, useState, useSyncExternalStore } from "react";
import { api, asProblem, call, type ApiProblem } from "../api/client";
import { downloadFile, uploadFile } from "../api/files";
import type { DocumentFile } from "../api/types";
import { Alert, ProblemAlert } from "../ui/kit";

const known = new Map<string, DocumentFile[]>();
const subscribers = new Set<() => void>();
const EMPTY: DocumentFile[] = [];
function setFiles(docId: string, files: DocumentFile[]) {
  known.set(docId, files);
  for (const s of subscribers) s();
}
function useFiles(docId: string): DocumentFile[] {
  return useSyncExternalStore(
    (cb) => {
      subscribers.add(cb);
      return () => subscribers.delete(cb);
    },
    () => known.get(docId) ?? EMPTY,
  );
}

function size(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${(n / 1024 / 1024).toFixed(1)} MiB`;
}

export function Attachments({ docId, canUpload }: { docId: string; canUpload: boolean }) {
  const files = useFiles(docId);
  const inputId = useId();
  const input = useRef<HTMLInputElement>(null);
  const [progress, setProgress] = useState<number | null>(null);
  const [problem, setProblem] = useState<ApiProblem | null>(null);
  const [notice, setNotice] = useState<string | null>(null);

  const upload = async () => {
    const file = input.current?.files?.[0];
    if (!file) return;
    setProblem(null);
    setNotice(null);
    setProgress(0);
    try {
      const r = await uploadFile(docId, file, setProgress);
      if (r.file) {
        setFiles(docId, [r.file, ...(known.get(docId) ?? [])]);
        setNotice(`Uploaded ${r.file.name}.`);
        if (input.current) input.current.value = "";
      } else if (r.problem) {
        const p = r.problem;
        if (p.status === 415) p.message = "This type of file is not accepted (PDF, images, ZIP and UTF-8 text are).";
        if (p.status === 413) p.message = "The file is too large (10 MiB at most).";
        setProblem(p);
      }
    } catch (e) {
      setProblem(asProblem(e));
    } finally {
      setProgress(null);
    }
  };

  const download = async (f: DocumentFile) => {
    setProblem(await downloadFile(docId, f.id, f.name));
  };
  const remove = async (f: DocumentFile) => {
    setProblem(null);
    try {
      await call(api.DELETE("/api/v1/documents/{id}/files/{file_id}", { params: { path: { id: docId, file_id: f.id } } }));
      setFiles(docId, (known.get(docId) ?? []).filter((x) => x.id !== f.id));
      setNotice(`Deleted ${f.name}.`);
    } catch (e) {
      setProblem(asProblem(e));
    }
  };

  return (
    <section className="card panel" aria-labelledby={`${inputId}-h`}>
      <h2 id={`${inputId}-h`}>Attachments</h2>
      {notice && <Alert kind="success">{notice}</Alert>}
      <ProblemAlert problem={problem} />
      {canUpload && (
        <div className="upload">
          <label htmlFor={inputId}>File to attach</label>
          <input id={inputId} ref={input} type="file" disabled={progress !== null} onChange={() => void upload()} />
          {progress !== null && (
            <div className="progress">
              <progress max={1} value={progress} aria-label="Upload progress" />
              <span>{Math.round(progress * 100)} %</span>
            </div>
          )}
        </div>
      )}
      {files.length === 0 ? (
        <p className="muted">{canUpload ? "No file uploaded from this tab yet." : "Files uploaded from this tab appear here."}</p>
      ) : (
        <ul className="file-list" aria-label="Attached files">
          {files.map((f) => (
            <li key={f.id}>
              <span className="file-name">{f.name}</span>
              <span className="muted">{size(f.size)}</span>
              <span className="file-actions">
                <button type="button" className="btn btn-small" onClick={() => void download(f)}>
                  Download<span className="visually-hidden"> {f.name}</span>
                </button>
                {canUpload && (
                  <button type="button" className="btn btn-small btn-ghost" onClick={() => void remove(f)}>
                    Delete<span className="visually-hidden"> {f.name}</span>
                  </button>
                )}
              </span>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
